using TorchSharp;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Interop;

using GslTensor = GpuSelfLabel.Tensor;
using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The two cross-entropy functions (logits and targets in, a reduced loss out) share all but their
/// pass: the views of the inputs, the output tensors, what backward keeps, and backward itself (the
/// saved gradients of the mean loss, scaled by <see cref="LossGradients.Scale"/>; null for inputs that
/// do not require a gradient).
/// </summary>
internal static class PairGradients
{
    /// <summary>
    /// One pass of a cross-entropy function: the library's views of the inputs and of the outputs,
    /// and ∂L/∂targets (both views, and the TorchSharp tensor) only when the targets will receive it.
    /// </summary>
    public delegate double Pass(GslTensor logits, GslTensor targets, GslTensor losses, GslTensor dlogits, GslTensor? dtargetsView, Tensor? dtargets);

    /// <summary>Forward for (logits, targets, reduction, recording, guard): runs <paramref name="pass"/> on fresh outputs.</summary>
    public static Tensor Forward(AutogradContext ctx, object[] vars, Pass pass)
    {
        var logits = (Tensor)vars[0];
        var targets = (Tensor)vars[1];
        var reduction = (Reduction)vars[2];
        bool recording = (bool)vars[3];
        long rows = logits.shape[0];
        var backend = TorchBackends.For(logits, "logits");
        using var z = TorchInput.Of(logits, backend);
        using var y = TorchInput.Of(targets, backend);
        var losses = TorchMemory.Empty(logits, rows);
        var dlogits = TorchMemory.Empty(logits, logits.shape);

        // ∂L/∂y only when the targets will receive it: without it the pass writes a third less.
        var dtargets = recording && targets.requires_grad ? TorchMemory.Empty(logits, logits.shape) : null;
        double mean;
        try
        {
            using var lossesView = TorchMemory.View(losses, backend);
            using var dlogitsView = TorchMemory.View(dlogits, backend);
            using var dtargetsView = dtargets is null ? null : TorchMemory.View(dtargets, backend);
            mean = pass(z.View, y.View, lossesView, dlogitsView, dtargetsView, dtargets);
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
            Save(ctx, dlogits, dtargets, reduction, rows, logits, targets);
        }
        else
        {
            dlogits.Dispose();
        }

        return LossGradients.Loss(mean, losses, reduction, rows, logits);
    }

    private static void Save(AutogradContext ctx, Tensor dlogits, Tensor? dtargets, Reduction reduction, long rows, Tensor logits, Tensor targets)
    {
        ctx.save_for_backward(dtargets is null ? [dlogits] : [dlogits, dtargets]);
        ctx.save_data("reduction", reduction);
        ctx.save_data("rows", rows);
        ctx.save_data("logits_gradient", logits.requires_grad);
        ctx.save_data("targets_gradient", dtargets is not null);
        ctx.save_data("logits_dtype", logits.dtype);
        ctx.save_data("targets_dtype", targets.dtype);
    }

    /// <summary>Gradients for (logits, targets, reduction, recording, guard): none for the last three (<see cref="BackwardGuard"/>).</summary>
    public static List<Tensor> Backward(AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var reduction = (Reduction)ctx.get_data("reduction");
        long rows = (long)ctx.get_data("rows");
        Tensor? dlogits = (bool)ctx.get_data("logits_gradient")
            ? LossGradients.Scale(saved[0], grad, reduction, rows, (torch.ScalarType)ctx.get_data("logits_dtype"))
            : null;
        Tensor? dtargets = (bool)ctx.get_data("targets_gradient")
            ? LossGradients.Scale(saved[1], grad, reduction, rows, (torch.ScalarType)ctx.get_data("targets_dtype"))
            : null;
        return [dlogits!, dtargets!, null!, null!, null!];
    }
}
