using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Collision cross-entropy as a loss module (ops.md §2): <c>forward(input, target)</c> is
/// <see cref="GslFunctional.collision_cross_entropy"/> of the logits and the soft targets.
/// </summary>
public sealed class CollisionCrossEntropyLoss : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="reduction">Mean (default) or Sum over rows, or None for per-row losses.</param>
    public CollisionCrossEntropyLoss(Reduction reduction = Reduction.Mean)
        : base(nameof(CollisionCrossEntropyLoss)) => this.reduction = reduction;

    /// <summary>How the per-row losses are reduced.</summary>
    public Reduction reduction { get; }

    /// <summary>The loss of N×K logits against N×K soft targets.</summary>
    public override Tensor forward(Tensor input, Tensor target) => GslFunctional.collision_cross_entropy(input, target, reduction);
}
