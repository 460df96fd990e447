namespace GpuSelfLabel;

/// <summary>
/// The Self-Classifier loss of ops.md §7 and its gradient. The tensor lives on the logits' backend
/// and belongs to the caller: dispose the result to free it.
/// </summary>
/// <param name="Loss">Mean of ℓ(i→j) over the ordered view pairs that are kept.</param>
/// <param name="DLogits">∂Loss/∂S^v for every view, V×N×C like the logits.</param>
public sealed record SelfClassifierResult(double Loss, Tensor DLogits) : IDisposable
{
    /// <summary>Frees the gradient tensor.</summary>
    public void Dispose() => DLogits.Dispose();
}
