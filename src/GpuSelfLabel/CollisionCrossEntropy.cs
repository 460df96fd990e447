using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §2: the collision cross-entropy H2(y_i, σ_i) = −ln Σ_k y_ik σ_ik between soft targets and
/// the softmax of the logits, its mean over the batch and both gradients, in one fused pass.
/// </summary>
public static class CollisionCrossEntropy
{
    /// <summary>
    /// Evaluates L = (1/N) Σ_i H2(y_i, σ_i) with σ = softmax(logits), each H2 = −ln Σ_k y_ik σ_ik as
    /// LSE_k(z_ik) − LSE_k(z_ik + ln y_ik) (terms with y_ik = 0 dropped) so peaked σ cannot underflow
    /// the dot product, and the gradients of L:
    /// ∂L/∂z_ik = (σ_ik − q_ik)/N with q_i = softmax(z_i + ln y_i), and
    /// ∂L/∂y_ik = −σ_ik / (N Σ_c σ_ic y_ic). Where that last value lies beyond float32 range (targets
    /// on a class whose σ is tiny next to another's, e.g. logits ±80 give e^160) it saturates to
    /// −float.MaxValue instead of −∞; every other output is exact to the accuracy contract.
    /// </summary>
    /// <param name="logits">N×K float32 logits z, K ≥ 2, every value finite.</param>
    /// <param name="targets">N×K float32 targets y: entries finite and ≥ 0, each row summing to 1 within 1e-3.</param>
    /// <returns>The mean loss, the N per-sample losses and both N×K gradients, on the logits' backend.</returns>
    /// <exception cref="GslArgumentException">An argument breaks a rule; the message names it and the first bad row.</exception>
    public static CollisionCrossEntropyResult Compute(Tensor logits, Tensor targets)
    {
        Validate(logits, targets);
        var backend = logits.Backend;
        long n = logits.Rows;
        Tensor? losses = null;
        Tensor? dlogits = null;
        Tensor? dtargets = null;
        try
        {
            losses = backend.Allocate(DType.Float32, n);
            dlogits = backend.Allocate(DType.Float32, n, logits.Columns);
            dtargets = backend.Allocate(DType.Float32, n, logits.Columns);
            backend.Kernels.CollisionCrossEntropyForwardBackward(logits, targets, losses, dlogits, dtargets);
            double loss = backend.Kernels.Sum(losses) / n;
            return new CollisionCrossEntropyResult(loss, losses, dlogits, dtargets);
        }
        catch
        {
            losses?.Dispose();
            dlogits?.Dispose();
            dtargets?.Dispose();
            throw;
        }
    }

    private static void Validate(Tensor logits, Tensor targets)
    {
        Guard.Matrix(logits, nameof(logits));
        Guard.Matrix(targets, nameof(targets));
        Guard.SameShape(logits, nameof(logits), targets, nameof(targets));
        Guard.Finite(logits, nameof(logits));
        Guard.Distributions(targets, nameof(targets));
    }
}
