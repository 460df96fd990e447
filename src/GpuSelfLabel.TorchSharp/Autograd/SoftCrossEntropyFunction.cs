using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §3 (Shannon cross-entropy with soft targets) as a TorchSharp autograd function. Forward is
/// the library's fused pass (per-row losses and ∂L/∂z = (σ − y)/N written into TorchSharp tensors);
/// when the targets require a gradient, ∂L/∂y = −ln σ / N comes from the library's log-softmax pass.
/// Backward only scales what forward saved.
/// Arguments: logits, targets, reduction, whether a graph is being recorded (bool).
/// </summary>
internal sealed class SoftCrossEntropyFunction : SingleTensorFunction<SoftCrossEntropyFunction>
{
    public override string Name => "GslSoftCrossEntropy";

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var logits = (Tensor)vars[0];
        var targets = (Tensor)vars[1];
        var reduction = (Reduction)vars[2];
        bool recording = (bool)vars[3];
        bool targetsGradient = recording && targets.requires_grad;
        long rows = logits.shape[0];
        var backend = TorchBackends.For(logits, "logits");
        using var z = TorchInput.Of(logits, backend);
        using var y = TorchInput.Of(targets, backend);
        var losses = TorchMemory.Empty(logits, rows);
        var dlogits = TorchMemory.Empty(logits, logits.shape);
        Tensor? dtargets = null;
        double mean;
        try
        {
            using var lossesView = TorchMemory.View(losses, backend);
            using var dlogitsView = TorchMemory.View(dlogits, backend);
            mean = CrossEntropy.ComputeInto(z.View, y.View, lossesView, dlogitsView);
            if (targetsGradient)
            {
                dtargets = TorchMemory.Empty(logits, logits.shape);
                using (var dtargetsView = TorchMemory.View(dtargets, backend))
                {
                    Softmax.LogForwardInto(z.View, dtargetsView);
                }

                dtargets.mul_(-1.0 / rows);
            }
        }
        catch
        {
            losses.Dispose();
            dlogits.Dispose();
            dtargets?.Dispose();
            throw;
        }

        if (recording)
        {
            PairGradients.Save(ctx, dlogits, targetsGradient ? dtargets! : null, reduction, rows, logits, targets);
        }
        else
        {
            dlogits.Dispose();
        }

        return LossGradients.Loss(mean, losses, reduction, rows, logits);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) => PairGradients.Backward(ctx, grad_output);
}
