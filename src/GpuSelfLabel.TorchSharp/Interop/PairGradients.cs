using TorchSharp;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Interop;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// What the two cross-entropy functions (logits and targets in, a reduced loss out) keep for
/// backward, and their backward: the saved gradients of the mean loss, scaled by
/// <see cref="LossGradients.Scale"/>; null for targets that do not require a gradient.
/// </summary>
internal static class PairGradients
{
    public static void Save(AutogradContext ctx, Tensor dlogits, Tensor? dtargets, Reduction reduction, long rows, Tensor logits, Tensor targets)
    {
        ctx.save_for_backward(dtargets is null ? [dlogits] : [dlogits, dtargets]);
        ctx.save_data("reduction", reduction);
        ctx.save_data("rows", rows);
        ctx.save_data("logits_gradient", logits.requires_grad);
        ctx.save_data("targets_gradient", dtargets is not null);
        ctx.save_data("logits_dtype", logits.dtype);
        ctx.save_data("targets_dtype", targets.dtype);
    }

    /// <summary>Gradients for (logits, targets, reduction, recording): the last two are not tensors.</summary>
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
        return [dlogits!, dtargets!, null!, null!];
    }
}
