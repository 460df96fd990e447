namespace GpuSelfLabel.Backends;

internal partial interface IBackendKernels
{
    /// <summary>
    /// ops.md §1: row-wise softmax (or log-softmax) of logits/τ into <paramref name="output"/>. Returns
    /// true when the pass itself saw every logit finite (the CPU screens each row while it is in cache);
    /// false when it did not look or saw a bad value, and the caller must check the input.
    /// </summary>
    bool SoftmaxForward(Tensor logits, Tensor output, float temperature, bool logarithm);

    /// <summary>
    /// ops.md §1: ∂L/∂z = σ (g − Σ g σ) / τ. Returns true when the pass saw every Σ g σ finite, which
    /// every non-finite σ or g would spoil; false when it did not look or the caller must check.
    /// </summary>
    bool SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature);
}
