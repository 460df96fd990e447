namespace GpuSelfLabel;

/// <summary>The Self-Classifier loss of ops.md §7 and its gradient.</summary>
/// <param name="Loss">Mean of ℓ(i→j) over the ordered view pairs that are kept.</param>
/// <param name="DLogits">∂Loss/∂S^v for every view, V×N×C like the logits (the caller disposes it).</param>
public sealed record SelfClassifierResult(double Loss, Tensor DLogits);
