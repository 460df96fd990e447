using GpuSelfLabel.TorchSharp.Interop;
using TorchSharp;
using static TorchSharp.torch.autograd;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §1 as a TorchSharp autograd function: softmax or log-softmax of N×K logits over the class
/// axis. Forward is the library's fused row pass writing straight into the output tensor; backward
/// reads only that saved output and the upstream gradient (σ (g − Σgσ)/τ, or g − σΣg over τ for the
/// logarithm), in one more fused pass.
/// Arguments: logits, temperature (double), logarithm (bool), the backward guard (<see cref="BackwardGuard"/>).
/// </summary>
internal sealed class SoftmaxFunction : SingleTensorFunction<SoftmaxFunction>
{
    public override string Name => "GslSoftmax";

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var logits = (Tensor)vars[0];
        var options = new SoftmaxOptions((double)vars[1]);
        bool logarithm = (bool)vars[2];
        var backend = TorchBackends.For(logits, "logits");
        using var input = TorchInput.Of(logits, backend);
        var output = TorchMemory.Empty(logits, logits.shape);
        try
        {
            using var outputView = TorchMemory.View(output, backend);
            if (logarithm)
            {
                Softmax.LogForwardInto(input.View, outputView, options);
            }
            else
            {
                Softmax.ForwardInto(input.View, outputView, options);
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }

        // The float32 result is what backward needs; a float64 caller gets a widened copy.
        ctx.save_for_backward([output]);
        ctx.save_data("temperature", options.Temperature);
        ctx.save_data("logarithm", logarithm);
        return logits.dtype == torch.ScalarType.Float32 ? output : output.to(logits.dtype);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        Tensor output;
        try
        {
            output = ctx.get_saved_variables()[0];
        }
        catch (System.Runtime.InteropServices.ExternalException)
        {
            // The float32 output is both what the caller got and what backward saved; changed in place
            // since (s.mul_(2)), LibTorch refuses to hand it back. LibTorch's own softmax raises here, but
            // an exception cannot leave this native frame without ending the process, so the gradient is
            // NaN instead (README: in-place changes to a softmax output before backward).
            return [torch.full_like(grad_output, double.NaN), null!, null!, null!];
        }

        var options = new SoftmaxOptions((double)ctx.get_data("temperature"));
        bool logarithm = (bool)ctx.get_data("logarithm");
        var backend = TorchBackends.For(output, "logits");
        var dlogits = TorchMemory.Empty(output, output.shape);
        try
        {
            using var saved = TorchMemory.View(output, backend);
            using var upstream = TorchInput.Of(grad_output, backend);
            using var dlogitsView = TorchMemory.View(dlogits, backend);
            if (logarithm)
            {
                Softmax.LogBackwardInto(saved, upstream.View, dlogitsView, options);
            }
            else
            {
                Softmax.BackwardInto(saved, upstream.View, dlogitsView, options);
            }
        }
        catch (Exception e) when (e is GslArgumentException or GslDeviceException)
        {
            // An exception cannot cross LibTorch's autograd engine (backward runs under a native
            // frame): a non-finite upstream gradient, the one input error possible here, propagates as
            // NaN, as LibTorch's own softmax backward would; a device failure does the same rather
            // than end the process.
            dlogits.fill_(double.NaN);
        }

        output.Dispose();
        return [TorchMemory.As(dlogits, grad_output.dtype), null!, null!, null!];
    }
}
