using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The two-head Average-K loss as a module (ops.md §8): <c>forward(softmax_logits, multilabel_logits,
/// labels)</c> is <see cref="GslFunctional.two_head_loss"/>.
/// </summary>
public sealed class TwoHeadAverageKLoss : Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="k">Average set size K.</param>
    /// <param name="mu">μ ≥ 0, the weight of the multi-label head.</param>
    public TwoHeadAverageKLoss(double k, double mu = 1.0)
        : base(nameof(TwoHeadAverageKLoss))
    {
        this.k = k;
        this.mu = mu;
    }

    /// <summary>The average set size K.</summary>
    public double k { get; }

    /// <summary>μ, the multi-label head's weight.</summary>
    public double mu { get; }

    /// <summary>The scalar loss of both heads' B×L logits against B int64 labels.</summary>
    public override Tensor forward(Tensor softmax_logits, Tensor multilabel_logits, Tensor labels) =>
        GslFunctional.two_head_loss(softmax_logits, multilabel_logits, labels, k, mu);
}
