using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

internal sealed class CollisionCrossEntropyOp : OpDefinition
{
    public override string Name => "collision-ce";

    public override string Description => "Collision cross-entropy −ln Σ y·softmax(z), its mean and gradients (ops.md §2)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "N×K logits"), new("targets", "N×K target distributions")];

    public override IReadOnlyList<string> OutputNames { get; } = ["loss", "losses", "dlogits", "dtargets"];

    public override void Execute(OpContext context)
    {
        var result = context.Track(CollisionCrossEntropy.Compute(context.Tensor("logits"), context.Tensor("targets")));
        context.Output("loss", NpyArray.Scalar(result.Loss));
        context.Output("losses", result.Losses);
        context.Output("dlogits", result.DLogits);
        context.Output("dtargets", result.DTargets);
    }
}

internal sealed class CrossEntropyOp : OpDefinition
{
    public override string Name => "cross-entropy";

    public override string Description => "Shannon cross-entropy −Σ y ln softmax(z) with soft targets, its mean and ∂L/∂z (ops.md §3)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "N×K logits"), new("targets", "N×K target distributions")];

    public override IReadOnlyList<string> OutputNames { get; } = ["loss", "losses", "dlogits"];

    public override void Execute(OpContext context)
    {
        var result = context.Track(CrossEntropy.Compute(context.Tensor("logits"), context.Tensor("targets")));
        context.Output("loss", NpyArray.Scalar(result.Loss));
        context.Output("losses", result.Losses);
        context.Output("dlogits", result.DLogits);
    }
}
