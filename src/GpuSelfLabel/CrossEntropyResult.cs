namespace GpuSelfLabel;

/// <summary>
/// What <see cref="CrossEntropy.Compute"/> returns. The tensors live on the logits' backend and
/// belong to the caller: dispose the result to free them.
/// </summary>
/// <param name="Loss">The mean loss L = (1/N) Σ_i −Σ_k y_ik ln σ_ik.</param>
/// <param name="Losses">The N per-sample losses (float32 vector).</param>
/// <param name="DLogits">∂L/∂z, N×K: (σ − y)/N.</param>
public sealed record CrossEntropyResult(double Loss, Tensor Losses, Tensor DLogits) : IDisposable
{
    /// <summary>Frees the two tensors.</summary>
    public void Dispose()
    {
        Losses.Dispose();
        DLogits.Dispose();
    }
}
