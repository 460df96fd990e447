namespace GpuSelfLabel.Backends;

internal partial interface IBackendKernels
{
    /// <summary>
    /// ops.md §2, forward and backward fused into one pass over the rows. For every row i it reads
    /// logits z_i and targets y_i (both N×K float32) and writes
    /// <list type="bullet">
    /// <item><paramref name="losses"/>[i] = H2(y_i, σ_i) = −ln Σ_k y_ik σ_ik = LSE_k(z_ik) − LSE_k(z_ik + ln y_ik) (vector of N, y_ik = 0 terms dropped),</item>
    /// <item><paramref name="dlogits"/>_ik = (σ_ik − q_ik)/N with q_i = softmax(z_i + ln y_i),</item>
    /// <item><paramref name="dtargets"/>_ik = −σ_ik / (N Σ_c σ_ic y_ic), saturated to ±float.MaxValue where the true value is beyond float32 range.</item>
    /// </list>
    /// N is <c>logits.Rows</c>, so the gradients are those of the mean loss. Rows are independent:
    /// a GPU implementation gives each row one work-group (max, then the two sums, then the writes).
    /// <paramref name="dtargets"/> may be null only where <see cref="SkipsUnwantedTargetGradient"/>.
    /// </summary>
    void CollisionCrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor? dtargets);

    /// <summary>
    /// Whether <see cref="CollisionCrossEntropyForwardBackward"/> takes a null ∂L/∂y and then writes
    /// none (a third less traffic when targets need no gradient); elsewhere the caller passes scratch.
    /// </summary>
    bool SkipsUnwantedTargetGradient { get; }

    /// <summary>
    /// ops.md §3, forward and backward fused into one pass over the rows. For every row i it reads
    /// logits z_i and targets y_i (both N×K float32) and writes <paramref name="losses"/>[i] =
    /// −Σ_k y_ik ln σ_ik (ln σ from the log-softmax; y_ik = 0 terms contribute exactly 0) and
    /// <paramref name="dlogits"/>_ik = (σ_ik − y_ik)/N with N = <c>logits.Rows</c>.
    /// </summary>
    void CrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits);
}
