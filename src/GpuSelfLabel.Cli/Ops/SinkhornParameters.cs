using System.CommandLine;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// The four SeLa Sinkhorn options of <c>gsl op sinkhorn</c> and <c>gsl sinkhorn</c>, defined once: names
/// and help here, defaults from <see cref="SinkhornOptions"/> itself, so the two commands and the
/// library cannot drift apart. Each command creates its own instances (an option belongs to one command).
/// </summary>
internal sealed class SinkhornParameters
{
    private static readonly SinkhornOptions Defaults = new();

    public Option<double> Lambda { get; } = new("--lambda") { Description = "λ > 0: P = σ^λ", DefaultValueFactory = _ => Defaults.Lambda };

    public Option<double> Tolerance { get; } = new("--tol")
    {
        Description = "Stop once Σ_i |c_i/c'_i − 1| ≤ tol (0: never stop early, run exactly --max-iters)",
        DefaultValueFactory = _ => Defaults.Tolerance,
    };

    public Option<int> CheckEvery { get; } = new("--check-every") { Description = "Evaluate the error every this many iterations", DefaultValueFactory = _ => Defaults.CheckEvery };

    public Option<int> MaxIterations { get; } = new("--max-iters") { Description = "Iteration limit (≥ 1)", DefaultValueFactory = _ => Defaults.MaxIterations };

    /// <summary>The four options, in help order.</summary>
    public IReadOnlyList<Option> All => [Lambda, Tolerance, CheckEvery, MaxIterations];

    /// <summary>Options of the parsed values; the remaining settings as given.</summary>
    public SinkhornOptions Read(ParseResult parse, bool computeCodes, long? chunkRows = null, long? memoryBudget = null) =>
        new(parse.GetValue(Lambda), parse.GetValue(Tolerance), parse.GetValue(CheckEvery), parse.GetValue(MaxIterations), computeCodes, chunkRows, memoryBudget);
}
