using System.CommandLine;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

internal sealed class SelfClassifierOp : OpDefinition
{
    private readonly Option<double> tauRow = new("--tau-row") { Description = FormattableString.Invariant($"τ_r in [{SelfClassifierOptions.MinTemperature:G3}, {SelfClassifierOptions.MaxTemperature:G3}] of the per-sample softmax"), DefaultValueFactory = _ => 0.1 };
    private readonly Option<double> tauCol = new("--tau-col") { Description = FormattableString.Invariant($"τ_c in [{SelfClassifierOptions.MinTemperature:G3}, {SelfClassifierOptions.MaxTemperature:G3}] of the per-class softmax over the batch"), DefaultValueFactory = _ => 0.05 };
    private readonly Option<double> epsilon = new("--epsilon") { Description = FormattableString.Invariant($"ε in [{SelfClassifierOptions.MinEpsilon:G3}, {SelfClassifierOptions.MaxEpsilon:G3}]: floor of the normalisers and offset inside ln((N/C)P + ε)"), DefaultValueFactory = _ => new SelfClassifierOptions().Epsilon };
    private readonly Option<int?> globalViews = new("--global-views") { Description = "G in [1, V]: views 0..G−1 are global (default V)" };

    public override string Name => "self-classifier";

    public override string Description => "Self-Classifier loss over V views and its gradient (ops.md §7)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "V×N×C logits of V views of the same N samples")];

    public override IReadOnlyList<string> OutputNames { get; } = ["loss", "dlogits"];

    public override IReadOnlyList<Option> Parameters => [tauRow, tauCol, globalViews, epsilon];

    public override void Execute(OpContext context)
    {
        var result = SelfClassifier.Compute(
            context.Tensor("logits"),
            new SelfClassifierOptions(context.Get(tauRow), context.Get(tauCol), context.Get(globalViews), context.Get(epsilon)));
        context.Output("loss", NpyArray.Scalar(result.Loss));
        context.Output("dlogits", result.DLogits);
    }
}
