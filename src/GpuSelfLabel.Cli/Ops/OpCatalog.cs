namespace GpuSelfLabel.Cli.Ops;

/// <summary>Every operation <c>gsl op</c> offers, in cli.md's order.</summary>
internal static class OpCatalog
{
    public static IReadOnlyList<OpDefinition> All { get; } =
    [
        new SoftmaxOp(),
        new LogSoftmaxOp(),
        new SoftmaxBackwardOp(),
        new CollisionCrossEntropyOp(),
        new CrossEntropyOp(),
        new CceEmOp(),
        new SinkhornOp(),
        new SwavSinkhornOp(),
        new SelfClassifierOp(),
        new AverageKThresholdOp(),
        new AverageKPseudoLabelsOp(),
        new TwoHeadLossOp(),
    ];
}
