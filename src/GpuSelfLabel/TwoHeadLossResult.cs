namespace GpuSelfLabel;

/// <summary>
/// The two-head Average-K loss of ops.md §8 and its gradients (pseudo-labels held constant). The
/// tensors live on the logits' backend and belong to the caller: dispose the result to free them.
/// </summary>
/// <param name="Loss">(1/B) Σ_i −ln softmax(a_i)_{y_i} + μ (1/B) Σ_ij BCE(b_ij, Z_ij).</param>
/// <param name="DSoftmax">∂L/∂a = (softmax(a) − onehot(y))/B, B×L.</param>
/// <param name="DMultilabel">∂L/∂b = μ (sigmoid(b) − Z)/B, B×L.</param>
public sealed record TwoHeadLossResult(double Loss, Tensor DSoftmax, Tensor DMultilabel) : IDisposable
{
    /// <summary>Frees the two gradient tensors.</summary>
    public void Dispose()
    {
        DSoftmax.Dispose();
        DMultilabel.Dispose();
    }
}
