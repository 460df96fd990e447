using System.CommandLine;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>Shared parameters of the Average-K rows.</summary>
internal static class AverageKParameters
{
    public static Option<double?> K() => new("--k") { Description = "average set size K (required)" };

    /// <summary>--k has no default: its absence is a usage error naming it.</summary>
    public static double Required(OpContext context, Option<double?> k) =>
        context.Get(k) ?? throw new UsageException("argument 'k': is required (--k K)");
}

internal sealed class AverageKThresholdOp : OpDefinition
{
    private readonly Option<double?> k = AverageKParameters.K();

    public override string Name => "avgk-threshold";

    public override string Description => "Average-K threshold, mean set size and accuracy (ops.md §8)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } =
        [new("scores", "N×L scores"), new("labels", "N true class indices (int32/int64); adds accuracy", Required: false)];

    public override IReadOnlyList<string> OutputNames { get; } = ["threshold", "accuracy", "mean-set-size"];

    public override IReadOnlyList<Option> Parameters => [k];

    public override void Execute(OpContext context)
    {
        double kValue = AverageKParameters.Required(context, k);
        var scores = context.Tensor("scores");
        var labels = context.Has("labels") ? context.Labels("labels") : null;
        var result = AverageK.Threshold(scores, kValue, labels);
        context.Output("threshold", NpyArray.Scalar(result.Threshold));
        if (result.Accuracy is { } accuracy)
        {
            context.Output("accuracy", NpyArray.Scalar(accuracy));
        }

        context.Output("mean-set-size", NpyArray.Scalar(result.MeanSetSize));
    }
}

internal sealed class AverageKPseudoLabelsOp : OpDefinition
{
    private readonly Option<double?> k = AverageKParameters.K();
    private readonly Option<string> rule = new("--rule") { Description = "true-plus-top or top-then-true", DefaultValueFactory = _ => "true-plus-top" };

    public override string Name => "avgk-pseudo-labels";

    public override string Description => "Average-K 0/1 pseudo-labels of a batch (ops.md §8)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } =
        [new("probs", "B×L softmax probabilities"), new("labels", "B true class indices (int32/int64)")];

    public override IReadOnlyList<string> OutputNames { get; } = ["targets"];

    public override IReadOnlyList<Option> Parameters => [k, rule];

    public override void Execute(OpContext context)
    {
        double kValue = AverageKParameters.Required(context, k);
        var chosen = context.Get(rule) switch
        {
            "true-plus-top" => AverageKRule.TruePlusTop,
            "top-then-true" => AverageKRule.TopThenTrue,
            var other => throw new UsageException($"argument 'rule': must be true-plus-top or top-then-true, got '{other}'"),
        };
        context.Output("targets", AverageK.PseudoLabels(context.Tensor("probs"), context.Labels("labels"), kValue, chosen));
    }
}

internal sealed class TwoHeadLossOp : OpDefinition
{
    private readonly Option<double?> k = AverageKParameters.K();
    private readonly Option<double> mu = new("--mu") { Description = FormattableString.Invariant($"μ in [0, {AverageK.MaxMu:G3}], weight of the multi-label head"), DefaultValueFactory = _ => 1.0 };

    public override string Name => "two-head-loss";

    public override string Description => "Two-head Average-K loss and its gradients (ops.md §8)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } =
    [
        new("logits-softmax", "B×L logits of the softmax head"),
        new("logits-multilabel", "B×L logits of the multi-label head"),
        new("labels", "B true class indices (int32/int64)"),
    ];

    public override IReadOnlyList<string> OutputNames { get; } = ["loss", "dsoftmax", "dmultilabel"];

    public override IReadOnlyList<Option> Parameters => [k, mu];

    public override void Execute(OpContext context)
    {
        double kValue = AverageKParameters.Required(context, k);
        var result = AverageK.TwoHeadLoss(
            context.Tensor("logits-softmax"), context.Tensor("logits-multilabel"), context.Labels("labels"), kValue, context.Get(mu));
        context.Output("loss", NpyArray.Scalar(result.Loss));
        context.Output("dsoftmax", result.DSoftmax);
        context.Output("dmultilabel", result.DMultilabel);
    }
}
