using System.CommandLine;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

internal sealed class SinkhornOp : OpDefinition
{
    private readonly SinkhornParameters sela = new();
    private readonly Option<bool> codes = new("--codes") { Description = "Also write the soft codes Q̂ (rows sum to 1); naming codes in --outputs does too" };

    public override string Name => "sinkhorn";

    public override string Description => "SeLa Sinkhorn-Knopp equipartition pseudo-labels, one or H heads (ops.md §5)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("logits", "N×K logits, or H×N×K for H heads")];

    public override IReadOnlyList<string> OutputNames { get; } = ["labels", "logr", "logc", "iterations", "converged", "codes"];

    public override IReadOnlyList<Option> Parameters => [.. sela.All, codes];

    public override void Execute(OpContext context)
    {
        var logits = context.Tensor("logits");
        var options = context.Read(sela, context.Get(codes) || context.Named("codes"));
        var result = context.Track(Sinkhorn.SeLa(logits, options));

        // An N×K input gets outputs without the head axis, as cli.md lists them.
        bool batched = logits.Rank == 3;
        long n = logits.Shape[^2];
        long k = logits.Columns;
        long[] Heads(params long[] shape) => batched ? [result.Heads, .. shape] : shape;

        context.Output("labels", NpyArray.OfIntegers(result.Labels, Heads(n)));
        context.Output("logr", result.LogR, Heads(k));
        context.Output("logc", result.LogC, Heads(n));
        context.Output(
            "iterations",
            batched
                ? NpyArray.OfIntegers(Array.ConvertAll(result.Iterations, t => (long)t), result.Heads)
                : NpyArray.ScalarInteger(result.Iterations[0]));
        context.Output(
            "converged",
            batched
                ? NpyArray.OfIntegers(Array.ConvertAll(result.Converged, c => c ? 1L : 0L), result.Heads)
                : NpyArray.ScalarInteger(result.Converged[0] ? 1 : 0));
        if (SinkhornWarning.NotConverged(result, options) is { } warning)
        {
            context.Warnings.Add(warning);
        }

        if (result.Codes is { } q)
        {
            context.Output("codes", q, Heads(n, k));
        }
    }
}

/// <summary>The one line both SeLa commands print when a head stopped at the iteration limit before reaching tol.</summary>
internal static class SinkhornWarning
{
    public static string? NotConverged(SinkhornResult result, SinkhornOptions options)
    {
        if (options.Tolerance == 0 || result.Converged.All(c => c))
        {
            return null;
        }

        string heads = result.Heads == 1
            ? string.Empty
            : $" (head{(result.Converged.Count(c => !c) > 1 ? "s" : string.Empty)} {string.Join(", ", Enumerable.Range(0, result.Heads).Where(h => !result.Converged[h]).Select(h => h + 1))})";
        return FormattableString.Invariant(
            $"stopped at --max-iters {options.MaxIterations} before the error reached --tol {options.Tolerance:g3}{heads}; the labels are those of the last iterate (raise --max-iters or --tol)");
    }
}

internal sealed class SwavSinkhornOp : OpDefinition
{
    private readonly Option<double> epsilon = new("--epsilon") { Description = "ε > 0: Q ∝ exp(S/ε)", DefaultValueFactory = _ => 0.05 };
    private readonly Option<int> iterations = new("--iters") { Description = "Column-then-row normalisation rounds", DefaultValueFactory = _ => 3 };

    public override string Name => "swav-sinkhorn";

    public override string Description => "SwAV in-batch Sinkhorn-Knopp codes (ops.md §6)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } = [new("scores", "B×K scores")];

    public override IReadOnlyList<string> OutputNames { get; } = ["codes"];

    public override IReadOnlyList<Option> Parameters => [epsilon, iterations];

    public override void Execute(OpContext context) =>
        context.Output("codes", Sinkhorn.Swav(context.Tensor("scores"), new SwavOptions(context.Get(epsilon), context.Get(iterations))));
}
