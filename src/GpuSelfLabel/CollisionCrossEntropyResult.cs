namespace GpuSelfLabel;

/// <summary>
/// What <see cref="CollisionCrossEntropy.Compute"/> returns. The tensors live on the logits'
/// backend and belong to the caller: dispose the result to free them.
/// </summary>
/// <param name="Loss">The mean loss L = (1/N) Σ_i H2(y_i, σ_i).</param>
/// <param name="Losses">The N per-sample losses H2(y_i, σ_i) (float32 vector).</param>
/// <param name="DLogits">∂L/∂z, N×K: (σ − q)/N.</param>
/// <param name="DTargets">∂L/∂y, N×K: −σ_ik / (N Σ_c σ_ic y_ic), saturated to −float.MaxValue beyond float32 range.</param>
public sealed record CollisionCrossEntropyResult(double Loss, Tensor Losses, Tensor DLogits, Tensor DTargets) : IDisposable
{
    /// <summary>Frees the three tensors.</summary>
    public void Dispose()
    {
        Losses.Dispose();
        DLogits.Dispose();
        DTargets.Dispose();
    }
}
