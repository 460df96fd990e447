using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>
/// The pseudo-label solvers of §4 per backend: ten EM iterations (one fused pass each, reading σ and
/// Y and writing Y') and ten projected-gradient iterations (the float64 host baseline). Convergence
/// itself is compared by <c>em-vs-pgd</c>; this measures the cost of an iteration.
/// </summary>
public class PseudoLabelBenchmarks
{
    private const int Iterations = 10;
    private Tensor probs = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [Params(4096)]
    public int N { get; set; }

    [Params(100, 1000)]
    public int K { get; set; }

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup() => probs = BenchmarkData.Distributions(BackendRegistry.Open(Backend), 1, N, K);

    [GlobalCleanup]
    public void Cleanup() => probs.Dispose();

    [Benchmark]
    public int Em()
    {
        using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Tolerance: 1e-300, MaxIterations: Iterations));
        return result.Iterations;
    }

    [Benchmark]
    public int ProjectedGradient()
    {
        using var result = PseudoLabels.ProjectedGradient(probs, new PseudoLabelOptions(Tolerance: 1e-300, MaxIterations: Iterations));
        return result.Iterations;
    }
}
