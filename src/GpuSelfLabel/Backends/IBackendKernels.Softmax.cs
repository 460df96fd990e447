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
    /// ops.md §1: ∂L/∂z = σ (g − Σ g σ) / τ given σ in <paramref name="probs"/> and g = ∂L/∂σ; with
    /// <paramref name="logarithm"/>, <paramref name="probs"/> holds ln σ (the log-softmax output), g is
    /// ∂L/∂(ln σ) and ∂L/∂z = (g − exp(ln σ) Σ g) / τ. Returns true when the pass saw every row sum
    /// finite (Σ g σ, or Σ g and Σ ln σ with <paramref name="logarithm"/>), which every non-finite input
    /// would spoil; false when it did not look or the caller must check.
    /// </summary>
    bool SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature, bool logarithm);
}
