using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Shannon cross-entropy with soft targets as a loss module (ops.md §3): <c>forward(input, target)</c>
/// is <see cref="GslFunctional.soft_cross_entropy"/> of the logits and the soft targets.
/// </summary>
public sealed class SoftCrossEntropyLoss : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="reduction">Mean (default) or Sum over rows, or None for per-row losses.</param>
    public SoftCrossEntropyLoss(Reduction reduction = Reduction.Mean)
        : base(nameof(SoftCrossEntropyLoss)) => this.reduction = reduction;

    /// <summary>How the per-row losses are reduced.</summary>
    public Reduction reduction { get; }

    /// <summary>The loss of N×K logits against N×K soft targets.</summary>
    public override Tensor forward(Tensor input, Tensor target) => GslFunctional.soft_cross_entropy(input, target, reduction);
}
