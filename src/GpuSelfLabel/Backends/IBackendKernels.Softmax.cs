namespace GpuSelfLabel.Backends;

internal partial interface IBackendKernels
{
    /// <summary>ops.md §1: row-wise softmax (or log-softmax) of logits/τ into <paramref name="output"/>.</summary>
    void SoftmaxForward(Tensor logits, Tensor output, float temperature, bool logarithm);

    /// <summary>ops.md §1: ∂L/∂z = σ (g − Σ g σ) / τ.</summary>
    void SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature);
}
