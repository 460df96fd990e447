using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §1: fused row-wise softmax, log-softmax and their backward passes over N×K logits.
/// Every method validates its arguments, then runs on the backend that holds the input. The
/// <c>…Into</c> methods write into a destination the caller owns (memory wrapped with
/// <see cref="Backends.Backend.Wrap"/>, say): it must be float32, of the input's shape, on the input's
/// backend and separate from every input (no in-place calls); the other methods allocate it.
/// </summary>
public static class Softmax
{
    /// <summary>σ_ik = exp(z_ik/τ − m_i) / Σ_j exp(z_ij/τ − m_i).</summary>
    public static Tensor Forward(Tensor logits, SoftmaxOptions? options = null) =>
        Allocating(logits, nameof(logits), output => ForwardInto(logits, output, options));

    /// <summary>σ_ik = exp(z_ik/τ − m_i) / Σ_j exp(z_ij/τ − m_i), written into <paramref name="output"/>.</summary>
    /// <param name="logits">N×K float32 logits z, K ≥ 2, every value finite.</param>
    /// <param name="output">N×K float32 destination on the logits' backend, sharing no memory with them.</param>
    /// <param name="options">τ (default 1).</param>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule (the message names it). Finiteness is checked after the pass (on the
    /// CPU the pass screens it itself, saving a read of the input), so for a non-finite logit the error
    /// comes after <paramref name="output"/> was written; every other rule is checked before anything is.
    /// </exception>
    public static void ForwardInto(Tensor logits, Tensor output, SoftmaxOptions? options = null) =>
        Run(logits, output, options, logarithm: false);

    /// <summary>ln σ_ik = z_ik/τ − m_i − ln Σ_j exp(z_ij/τ − m_i).</summary>
    public static Tensor LogForward(Tensor logits, SoftmaxOptions? options = null) =>
        Allocating(logits, nameof(logits), output => LogForwardInto(logits, output, options));

    /// <summary>ln σ_ik = z_ik/τ − m_i − ln Σ_j exp(z_ij/τ − m_i), written into <paramref name="output"/>.</summary>
    /// <param name="logits">N×K float32 logits z, K ≥ 2, every value finite.</param>
    /// <param name="output">N×K float32 destination on the logits' backend, sharing no memory with them.</param>
    /// <param name="options">τ (default 1).</param>
    /// <exception cref="GslArgumentException">As for <see cref="ForwardInto"/>.</exception>
    public static void LogForwardInto(Tensor logits, Tensor output, SoftmaxOptions? options = null) =>
        Run(logits, output, options, logarithm: true);

    /// <summary>∂L/∂z_ik = σ_ik (g_ik − Σ_j g_ij σ_ij) / τ, given σ and g = ∂L/∂σ.</summary>
    public static Tensor Backward(Tensor probs, Tensor grad, SoftmaxOptions? options = null) =>
        Allocating(probs, nameof(probs), dlogits => BackwardInto(probs, grad, dlogits, options));

    /// <summary>∂L/∂z_ik = σ_ik (g_ik − Σ_j g_ij σ_ij) / τ, given σ and g = ∂L/∂σ, written into <paramref name="dlogits"/>.</summary>
    /// <param name="probs">N×K float32 σ (the softmax output), every value finite.</param>
    /// <param name="grad">N×K float32 g = ∂L/∂σ, every value finite.</param>
    /// <param name="dlogits">N×K float32 destination on the inputs' backend, sharing no memory with either.</param>
    /// <param name="options">The τ of the forward pass (default 1).</param>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule (the message names it). Finiteness is checked after the pass (on the
    /// CPU the pass screens it itself, saving a read of the inputs), so for a non-finite input the error
    /// comes after <paramref name="dlogits"/> was written; every other rule is checked before anything is.
    /// </exception>
    public static void BackwardInto(Tensor probs, Tensor grad, Tensor dlogits, SoftmaxOptions? options = null) =>
        RunBackward(probs, nameof(probs), grad, dlogits, options, logarithm: false);

    /// <summary>∂L/∂z_ik = (g_ik − σ_ik Σ_j g_ij)/τ given ln σ (the log-softmax output) and g = ∂L/∂(ln σ).</summary>
    /// <param name="logProbs">N×K float32 ln σ (the output of <see cref="LogForward"/>), every value finite.</param>
    /// <param name="grad">N×K float32 g = ∂L/∂(ln σ), every value finite.</param>
    /// <param name="options">The τ of the forward pass (default 1).</param>
    /// <returns>∂L/∂z, N×K on the inputs' backend; the caller disposes it.</returns>
    /// <exception cref="GslArgumentException">An argument breaks a rule; the message names it and, for data, the first bad row.</exception>
    public static Tensor LogBackward(Tensor logProbs, Tensor grad, SoftmaxOptions? options = null) =>
        Allocating(logProbs, nameof(logProbs), dlogits => LogBackwardInto(logProbs, grad, dlogits, options));

    /// <summary>
    /// ∂L/∂z_ik = (g_ik − σ_ik Σ_j g_ij)/τ given ln σ (the log-softmax output) and g = ∂L/∂(ln σ), written
    /// into <paramref name="dlogits"/>. σ = exp(ln σ) is formed in the same pass.
    /// </summary>
    /// <param name="logProbs">N×K float32 ln σ (the output of <see cref="LogForward"/>), every value finite.</param>
    /// <param name="grad">N×K float32 g = ∂L/∂(ln σ), every value finite.</param>
    /// <param name="dlogits">N×K float32 destination on the inputs' backend, sharing no memory with either.</param>
    /// <param name="options">The τ of the forward pass (default 1).</param>
    /// <exception cref="GslArgumentException">As for <see cref="BackwardInto"/>.</exception>
    public static void LogBackwardInto(Tensor logProbs, Tensor grad, Tensor dlogits, SoftmaxOptions? options = null) =>
        RunBackward(logProbs, nameof(logProbs), grad, dlogits, options, logarithm: true);

    /// <summary>
    /// The allocating forms: the input's shape is checked first (so a bad one is named as before, and
    /// nothing is allocated for it), then the Into method runs on a fresh output, freed if it throws.
    /// </summary>
    private static Tensor Allocating(Tensor input, string argument, Action<Tensor> into)
    {
        Guard.Matrix(input, argument);
        var output = input.Backend.Allocate(DType.Float32, input.Rows, input.Columns);
        try
        {
            into(output);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static void RunBackward(Tensor probs, string probsName, Tensor grad, Tensor dlogits, SoftmaxOptions? options, bool logarithm)
    {
        options ??= new SoftmaxOptions();
        Guard.Matrix(probs, probsName);
        Guard.Matrix(grad, nameof(grad));
        Guard.SameShape(probs, probsName, grad, nameof(grad));
        options.Validate();
        Guard.Output(dlogits, nameof(dlogits), probs, probs.Shape, (probs, probsName), (grad, nameof(grad)));

        // Finiteness is checked after the pass, and only when the pass could not vouch for it: on
        // the CPU a separate scan would read both inputs a second time.
        if (!probs.Backend.Kernels.SoftmaxBackward(probs, grad, dlogits, (float)options.Temperature, logarithm))
        {
            using var scan = probs.Backend.AllocateScanScratch(probs.Rows);
            Guard.Finite(probs, probsName, scan);
            Guard.Finite(grad, nameof(grad), scan);
        }
    }

    private static void Run(Tensor logits, Tensor output, SoftmaxOptions? options, bool logarithm)
    {
        options ??= new SoftmaxOptions();
        Guard.Matrix(logits, nameof(logits));
        options.Validate();
        Guard.Output(output, nameof(output), logits, logits.Shape, (logits, nameof(logits)));

        // As in RunBackward: the CPU pass screens the logits itself.
        if (!logits.Backend.Kernels.SoftmaxForward(logits, output, (float)options.Temperature, logarithm))
        {
            Guard.Finite(logits, nameof(logits));
        }
    }
}
