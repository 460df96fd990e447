using System.CommandLine;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary><c>gsl op cce-em</c>: pseudo-labels minimising the self-labeling objective (ops.md §4).</summary>
internal sealed class CceEmOp : OpDefinition
{
    private readonly Option<double> lambda = new("--lambda") { Description = FormattableString.Invariant($"Fairness weight λ in [0, {PseudoLabelOptions.MaxLambda:G3}] on KL(u ‖ ȳ)"), DefaultValueFactory = _ => 1.0 };
    private readonly Option<double> tolerance = new("--tol") { Description = "Stop once max |y' − y| < tol (0: never stop early, run exactly --max-iters)", DefaultValueFactory = _ => 1e-6 };
    private readonly Option<int> maxIterations = new("--max-iters") { Description = "Iteration limit (≥ 1)", DefaultValueFactory = _ => 1000 };
    private readonly Option<string> solver = new("--solver") { Description = "em (the EM update) or pgd (projected gradient baseline)", DefaultValueFactory = _ => "em" };

    public override string Name => "cce-em";

    public override string Description => "Pseudo-labels minimising (1/N) Σ −ln(σ_i·y_i) + λ KL(u ‖ ȳ) by EM or projected gradient (ops.md §4)";

    public override IReadOnlyList<ArrayInput> Inputs { get; } =
    [
        new("probs", "N×K predictions σ (rows sum to 1)"),
        new("init", "N×K strictly positive start Y⁰ (default σ)", Required: false),
    ];

    public override IReadOnlyList<string> OutputNames { get; } = ["labels", "objective", "iterations"];

    public override IReadOnlyList<Option> Parameters => [lambda, tolerance, maxIterations, solver];

    public override void Execute(OpContext context)
    {
        string method = context.Get(solver);
        if (method is not ("em" or "pgd"))
        {
            throw new GslArgumentException("solver", $"'{method}' is not one of em, pgd");
        }

        var probs = context.Tensor("probs");
        var options = new PseudoLabelOptions(context.Get(lambda), context.Get(tolerance), context.Get(maxIterations), context.OptionalTensor("init"));
        var result = method == "em" ? PseudoLabels.Em(probs, options) : PseudoLabels.ProjectedGradient(probs, options);
        context.Output("labels", result.Labels);
        context.Output("objective", NpyArray.OfFloats(Array.ConvertAll(result.Objective, v => (float)v), result.Objective.Length));
        context.Output("iterations", NpyArray.ScalarInteger(result.Iterations));
    }
}
