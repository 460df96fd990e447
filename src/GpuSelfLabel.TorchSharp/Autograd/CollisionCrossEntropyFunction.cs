using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §2 as a TorchSharp autograd function. Forward is the library's one fused pass, which
/// writes the per-row losses and both gradients of the mean loss straight into TorchSharp tensors;
/// backward only scales those saved gradients by the upstream gradient (nothing is recomputed).
/// ∂L/∂targets is kept only when the targets require a gradient.
/// Arguments: logits, targets, reduction, whether a graph is being recorded (bool).
/// </summary>
internal sealed class CollisionCrossEntropyFunction : SingleTensorFunction<CollisionCrossEntropyFunction>
{
    public override string Name => "GslCollisionCrossEntropy";

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var logits = (Tensor)vars[0];
        var targets = (Tensor)vars[1];
        var reduction = (Reduction)vars[2];
        bool recording = (bool)vars[3];
        long rows = logits.shape[0];
        bool targetsGradient = recording && targets.requires_grad;
        var backend = TorchBackends.For(logits, "logits");
        using var z = TorchInput.Of(logits, backend);
        using var y = TorchInput.Of(targets, backend);
        var losses = TorchMemory.Empty(logits, rows);
        var dlogits = TorchMemory.Empty(logits, logits.shape);

        // ∂L/∂y only when the targets will receive it: without it the pass writes a third less.
        var dtargets = targetsGradient ? TorchMemory.Empty(logits, logits.shape) : null;
        double mean;
        try
        {
            using var lossesView = TorchMemory.View(losses, backend);
            using var dlogitsView = TorchMemory.View(dlogits, backend);
            using var dtargetsView = dtargets is null ? null : TorchMemory.View(dtargets, backend);
            mean = CollisionCrossEntropy.ComputeInto(z.View, y.View, lossesView, dlogitsView, dtargetsView);
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
            PairGradients.Save(ctx, dlogits, dtargets, reduction, rows, logits, targets);
        }
        else
        {
            dlogits.Dispose();
        }

        return LossGradients.Loss(mean, losses, reduction, rows, logits);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) => PairGradients.Backward(ctx, grad_output);
}
