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
        Guard.Matrix(logits, nameof(logits));
        var backend = logits.Backend;
        Tensor? losses = null;
        Tensor? dlogits = null;
        try
        {
            losses = backend.Allocate(DType.Float32, logits.Rows);
            dlogits = backend.Allocate(DType.Float32, logits.Rows, logits.Columns);
            double loss = ComputeInto(logits, targets, losses, dlogits);
            return new CrossEntropyResult(loss, losses, dlogits);
        }
        catch
        {
            losses?.Dispose();
            dlogits?.Dispose();
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
    /// <param name="losses">Destination of the N per-sample losses: float32 vector of N on the logits' backend.</param>
    /// <param name="dlogits">Destination of ∂L/∂z: N×K float32 on the logits' backend.</param>
    /// <returns>The mean loss L.</returns>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule; the message names it and the first bad row. A destination must be
    /// float32, of its exact shape, on the logits' backend, and share no memory with an input or the
    /// other destination (no in-place calls).
    /// </exception>
    public static double ComputeInto(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits)
    {
        Guard.Matrix(logits, nameof(logits));
        Guard.Matrix(targets, nameof(targets));
        Guard.SameShape(logits, nameof(logits), targets, nameof(targets));
        long n = logits.Rows;

        // The call's one workspace: both row checks and the loss sum scan with it.
        using var scan = logits.Backend.AllocateScanScratch(n);
        Guard.Finite(logits, nameof(logits), scan);
        Guard.Distributions(targets, nameof(targets), scan);
        Guard.Output(losses, nameof(losses), logits, [n], (logits, nameof(logits)), (targets, nameof(targets)));
        Guard.Output(dlogits, nameof(dlogits), logits, logits.Shape, (logits, nameof(logits)), (targets, nameof(targets)), (losses, nameof(losses)));
        var kernels = logits.Backend.Kernels;
        kernels.CrossEntropyForwardBackward(logits, targets, losses, dlogits);
        return kernels.Sum(losses, scan) / n;
    }
}
