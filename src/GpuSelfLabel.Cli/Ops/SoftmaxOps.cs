using System.CommandLine;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>Shared <c>--temperature</c> parameter of the softmax rows.</summary>
internal static class SoftmaxParameters
{
    public static Option<double> Temperature() => new("--temperature") { Description = FormattableString.Invariant($"τ in [{SoftmaxOptions.MinTemperature:G3}, {SoftmaxOptions.MaxTemperature:G3}]"), DefaultValueFactory = _ => 1.0 };
}

internal sealed class SoftmaxOp : OpDefinition
{
    private readonly Option<double> temperature = SoftmaxParameters.Temperature();

    public override string Name => "softmax";

    public override string Description => "Row-wise softmax of logits/τ (ops.md §1)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "N×K logits")];

    public override IReadOnlyList<string> OutputNames { get; } = ["probs"];

    public override IReadOnlyList<Option> Parameters => [temperature];

    public override void Execute(OpContext context) =>
        context.Output("probs", Softmax.Forward(context.Tensor("logits"), new SoftmaxOptions(context.Get(temperature))));
}

internal sealed class LogSoftmaxOp : OpDefinition
{
    private readonly Option<double> temperature = SoftmaxParameters.Temperature();

    public override string Name => "log-softmax";

    public override string Description => "Row-wise log-softmax of logits/τ (ops.md §1)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "N×K logits")];

    public override IReadOnlyList<string> OutputNames { get; } = ["logprobs"];

    public override IReadOnlyList<Option> Parameters => [temperature];

    public override void Execute(OpContext context) =>
        context.Output("logprobs", Softmax.LogForward(context.Tensor("logits"), new SoftmaxOptions(context.Get(temperature))));
}

internal sealed class SoftmaxBackwardOp : OpDefinition
{
    private readonly Option<double> temperature = SoftmaxParameters.Temperature();

    public override string Name => "softmax-backward";

    public override string Description => "∂L/∂z from softmax probabilities and ∂L/∂σ (ops.md §1)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("probs", "N×K softmax probabilities"), new("grad", "N×K upstream gradient ∂L/∂σ")];

    public override IReadOnlyList<string> OutputNames { get; } = ["dlogits"];

    public override IReadOnlyList<Option> Parameters => [temperature];

    public override void Execute(OpContext context) =>
        context.Output("dlogits", Softmax.Backward(context.Tensor("probs"), context.Tensor("grad"), new SoftmaxOptions(context.Get(temperature))));
}
