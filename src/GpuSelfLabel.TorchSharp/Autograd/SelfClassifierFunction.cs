using TorchSharp;
using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §7 (the Self-Classifier loss over V views) as a TorchSharp autograd function. Forward runs
/// the library's passes, which give the loss and ∂Loss/∂S for every view (no stop-gradient) written
/// into a TorchSharp tensor; backward scales that saved gradient.
/// Arguments: logits (V×N×C), options (<see cref="SelfClassifierOptions"/>), whether a graph is being recorded, the backward guard (<see cref="BackwardGuard"/>).
/// </summary>
internal sealed class SelfClassifierFunction : SingleTensorFunction<SelfClassifierFunction>
{
    public override string Name => "GslSelfClassifierLoss";

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var logits = (Tensor)vars[0];
        var options = (SelfClassifierOptions)vars[1];
        bool recording = (bool)vars[2];
        var backend = TorchBackends.For(logits, "logits");
        using var input = TorchInput.Of(logits, backend);
        var dlogits = TorchMemory.Empty(logits, logits.shape);
        double loss;
        try
        {
            using var dlogitsView = TorchMemory.View(dlogits, backend);
            loss = SelfClassifier.ComputeInto(input.View, dlogitsView, options);
        }
        catch
        {
            dlogits.Dispose();
            throw;
        }

        if (recording)
        {
            ctx.save_for_backward([dlogits]);
            ctx.save_data("dtype", logits.dtype);
        }
        else
        {
            dlogits.Dispose();
        }

        return LossGradients.Loss(loss, null, Reduction.Mean, 1, logits);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var dlogits = LossGradients.Scale(ctx.get_saved_variables()[0], grad_output, Reduction.Mean, 1, (torch.ScalarType)ctx.get_data("dtype"));
        return [dlogits, null!, null!, null!];
    }
}
