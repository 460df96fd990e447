using TorchSharp;
using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §8 (the two-head Average-K loss) as a TorchSharp autograd function. Forward runs the
/// library's passes: the softmax head's cross-entropy, the batch's true-plus-top pseudo-labels Z
/// (held constant), the multi-label head's BCE, and both gradients written into TorchSharp tensors;
/// backward scales them.
/// Arguments: softmax logits, multi-label logits, labels (int[]), K (double), μ (double), recording (bool), the backward guard (<see cref="BackwardGuard"/>).
/// </summary>
internal sealed class TwoHeadLossFunction : SingleTensorFunction<TwoHeadLossFunction>
{
    public override string Name => "GslTwoHeadAverageKLoss";

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var softmaxLogits = (Tensor)vars[0];
        var multilabelLogits = (Tensor)vars[1];
        var labels = (int[])vars[2];
        double k = (double)vars[3];
        double mu = (double)vars[4];
        bool recording = (bool)vars[5];
        var backend = TorchBackends.For(softmaxLogits, "softmax_logits");
        using var a = TorchInput.Of(softmaxLogits, backend);
        using var b = TorchInput.Of(multilabelLogits, backend);
        var dsoftmax = TorchMemory.Empty(softmaxLogits, softmaxLogits.shape);
        var dmultilabel = TorchMemory.Empty(softmaxLogits, softmaxLogits.shape);
        double loss;
        try
        {
            using var dsoftmaxView = TorchMemory.View(dsoftmax, backend);
            using var dmultilabelView = TorchMemory.View(dmultilabel, backend);
            loss = AverageK.TwoHeadLossInto(a.View, b.View, labels, k, mu, dsoftmaxView, dmultilabelView);
        }
        catch
        {
            dsoftmax.Dispose();
            dmultilabel.Dispose();
            throw;
        }

        if (recording)
        {
            ctx.save_for_backward([dsoftmax, dmultilabel]);
            ctx.save_data("softmax_dtype", softmaxLogits.dtype);
            ctx.save_data("multilabel_dtype", multilabelLogits.dtype);
        }
        else
        {
            dsoftmax.Dispose();
            dmultilabel.Dispose();
        }

        return LossGradients.Loss(loss, null, Reduction.Mean, 1, softmaxLogits);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        var dsoftmax = LossGradients.Scale(saved[0], grad_output, Reduction.Mean, 1, (torch.ScalarType)ctx.get_data("softmax_dtype"));
        var dmultilabel = LossGradients.Scale(saved[1], grad_output, Reduction.Mean, 1, (torch.ScalarType)ctx.get_data("multilabel_dtype"));
        return [dsoftmax, dmultilabel, null!, null!, null!, null!, null!];
    }
}
