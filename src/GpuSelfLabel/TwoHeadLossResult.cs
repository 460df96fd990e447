namespace GpuSelfLabel;

/// <summary>The two-head Average-K loss of ops.md §8 and its gradients (pseudo-labels held constant).</summary>
/// <param name="Loss">(1/B) Σ_i −ln softmax(a_i)_{y_i} + μ (1/B) Σ_ij BCE(b_ij, Z_ij).</param>
/// <param name="DSoftmax">∂L/∂a = (softmax(a) − onehot(y))/B, B×L (the caller disposes it).</param>
/// <param name="DMultilabel">∂L/∂b = μ (sigmoid(b) − Z)/B, B×L (the caller disposes it).</param>
public sealed record TwoHeadLossResult(double Loss, Tensor DSoftmax, Tensor DMultilabel);
