using GpuSelfLabel.Backends;
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
        Guard.Matrix(logits, nameof(logits));
        var backend = logits.Backend;
        Tensor? losses = null;
        Tensor? dlogits = null;
        Tensor? dtargets = null;
        try
        {
            losses = backend.Allocate(DType.Float32, logits.Rows);
            dlogits = backend.Allocate(DType.Float32, logits.Rows, logits.Columns);
            dtargets = backend.Allocate(DType.Float32, logits.Rows, logits.Columns);
            double loss = ComputeInto(logits, targets, losses, dlogits, dtargets);
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

    /// <summary>
    /// <see cref="Compute"/> into destinations the caller owns (memory wrapped with
    /// <see cref="Backends.Backend.Wrap"/>, say). Every argument, the destinations included, is checked
    /// before anything is written.
    /// </summary>
    /// <param name="logits">N×K float32 logits z, K ≥ 2, every value finite.</param>
    /// <param name="targets">N×K float32 targets y: entries finite and ≥ 0, each row summing to 1 within 1e-3.</param>
    /// <param name="losses">Destination of the N per-sample losses H2(y_i, σ_i): float32 vector of N on the logits' backend.</param>
    /// <param name="dlogits">Destination of ∂L/∂z: N×K float32 on the logits' backend.</param>
    /// <param name="dtargets">
    /// Destination of ∂L/∂y: N×K float32 on the logits' backend; null when the targets need no gradient
    /// (the CPU then writes none, other backends write it to scratch).
    /// </param>
    /// <returns>The mean loss L.</returns>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule; the message names it and the first bad row. A destination must be
    /// float32, of its exact shape, on the logits' backend, and share no memory with an input or another
    /// destination (no in-place calls).
    /// </exception>
    public static double ComputeInto(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor? dtargets)
    {
        Guard.Matrix(logits, nameof(logits));
        Guard.Matrix(targets, nameof(targets));
        Guard.SameShape(logits, nameof(logits), targets, nameof(targets));
        long n = logits.Rows;
        var backend = logits.Backend;
        var kernels = backend.Kernels;

        // The call's one workspace: the scan of both row checks and the loss sum, and, where the backend
        // writes ∂L/∂y whether or not it is wanted, an N×K float32 place to write it.
        bool unwantedGradient = dtargets is null && !kernels.SkipsUnwantedTargetGradient;
        var layout = new ScratchLayout();
        long scanAt = layout.Add(backend.ScanScratchElements(n) * sizeof(double));
        long gradientAt = unwantedGradient ? layout.Add(n * logits.Columns * sizeof(float)) : 0;
        using var workspace = backend.Allocate(DType.Float64, layout.Elements);
        using var scan = workspace.View(DType.Float64, [backend.ScanScratchElements(n)], scanAt);
        Guard.Finite(logits, nameof(logits), scan);
        Guard.Distributions(targets, nameof(targets), scan);
        Guard.Output(losses, nameof(losses), logits, [n], (logits, nameof(logits)), (targets, nameof(targets)));
        Guard.Output(dlogits, nameof(dlogits), logits, logits.Shape, (logits, nameof(logits)), (targets, nameof(targets)), (losses, nameof(losses)));
        if (dtargets is not null)
        {
            Guard.Output(dtargets, nameof(dtargets), logits, logits.Shape, (logits, nameof(logits)), (targets, nameof(targets)), (losses, nameof(losses)), (dlogits, nameof(dlogits)));
        }

        using var unwanted = unwantedGradient ? workspace.View(DType.Float32, [n, logits.Columns], gradientAt) : null;
        kernels.CollisionCrossEntropyForwardBackward(logits, targets, losses, dlogits, dtargets ?? unwanted);
        return kernels.Sum(losses, scan) / n;
    }
}
