using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §3: Shannon cross-entropy −Σ_k y_ik ln σ_ik with soft targets, the baseline every
/// self-labeling method is compared against; its mean over the batch and ∂L/∂z in one fused pass.
/// </summary>
public static class CrossEntropy
{
    /// <summary>
    /// Evaluates L = (1/N) Σ_i −Σ_k y_ik ln σ_ik with ln σ from the log-softmax (entries with y_ik = 0
    /// contribute exactly 0, however small σ_ik is) and ∂L/∂z_ik = (σ_ik − y_ik)/N.
    /// </summary>
    /// <param name="logits">N×K float32 logits z, K ≥ 2, every value finite.</param>
    /// <param name="targets">N×K float32 targets y: entries finite and ≥ 0, each row summing to 1 within 1e-3.</param>
    /// <returns>The mean loss, the N per-sample losses and ∂L/∂z, on the logits' backend.</returns>
    /// <exception cref="GslArgumentException">An argument breaks a rule; the message names it and the first bad row.</exception>
    public static CrossEntropyResult Compute(Tensor logits, Tensor targets)
    {
        Validate(logits, targets);
        var backend = logits.Backend;
        long n = logits.Rows;
        Tensor? losses = null;
        Tensor? dlogits = null;
        try
        {
            losses = backend.Allocate(DType.Float32, n);
            dlogits = backend.Allocate(DType.Float32, n, logits.Columns);
            backend.Kernels.CrossEntropyForwardBackward(logits, targets, losses, dlogits);
            double loss = backend.Kernels.Sum(losses) / n;
            return new CrossEntropyResult(loss, losses, dlogits);
        }
        catch
        {
            losses?.Dispose();
            dlogits?.Dispose();
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
