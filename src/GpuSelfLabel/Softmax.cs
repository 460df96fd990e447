using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §1: fused row-wise softmax, log-softmax and the softmax backward pass over N×K logits.
/// Every method validates its arguments, then runs on the backend that holds the input.
/// </summary>
public static class Softmax
{
    /// <summary>σ_ik = exp(z_ik/τ − m_i) / Σ_j exp(z_ij/τ − m_i).</summary>
    public static Tensor Forward(Tensor logits, SoftmaxOptions? options = null) => Run(logits, options, logarithm: false);

    /// <summary>ln σ_ik = z_ik/τ − m_i − ln Σ_j exp(z_ij/τ − m_i).</summary>
    public static Tensor LogForward(Tensor logits, SoftmaxOptions? options = null) => Run(logits, options, logarithm: true);

    /// <summary>∂L/∂z_ik = σ_ik (g_ik − Σ_j g_ij σ_ij) / τ, given σ and g = ∂L/∂σ.</summary>
    public static Tensor Backward(Tensor probs, Tensor grad, SoftmaxOptions? options = null)
    {
        options ??= new SoftmaxOptions();
        Guard.Matrix(probs, nameof(probs));
        Guard.Matrix(grad, nameof(grad));
        Guard.SameShape(probs, nameof(probs), grad, nameof(grad));
        options.Validate();
        var dlogits = probs.Backend.Allocate(DType.Float32, probs.Rows, probs.Columns);
        try
        {
            // Finiteness is checked after the pass, and only when the pass could not vouch for it: on
            // the CPU a separate scan would read both inputs a second time.
            if (!probs.Backend.Kernels.SoftmaxBackward(probs, grad, dlogits, (float)options.Temperature))
            {
                Guard.Finite(probs, nameof(probs));
                Guard.Finite(grad, nameof(grad));
            }

            return dlogits;
        }
        catch
        {
            dlogits.Dispose();
            throw;
        }
    }

    private static Tensor Run(Tensor logits, SoftmaxOptions? options, bool logarithm)
    {
        options ??= new SoftmaxOptions();
        Guard.Matrix(logits, nameof(logits));
        options.Validate();
        var output = logits.Backend.Allocate(DType.Float32, logits.Rows, logits.Columns);
        try
        {
            // As in Backward: the CPU pass screens the logits itself.
            if (!logits.Backend.Kernels.SoftmaxForward(logits, output, (float)options.Temperature, logarithm))
            {
                Guard.Finite(logits, nameof(logits));
            }

            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }
}
