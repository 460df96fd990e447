using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>
/// Sinkhorn-Knopp per backend through the public API: SeLa (§5) for exactly 30 iterations with λ = 25
/// on 65536×1000 (one read of the logits per iteration), and SwAV's 3-iteration in-batch form (§6)
/// on 4096×3000 scores.
/// </summary>
public class SinkhornBenchmarks
{
    private Tensor logits = null!;
    private Tensor scores = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup()
    {
        var backend = BackendRegistry.Open(Backend);
        logits = BenchmarkData.Uniform(backend, 1, 3f, 65536, 1000);
        scores = BenchmarkData.Uniform(backend, 2, 1f, 4096, 3000);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        scores.Dispose();
    }

    [Benchmark]
    public long SeLa30()
    {
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(Lambda: 25, Tolerance: 1e-12, MaxIterations: 30));
        return result.Labels[0];
    }

    [Benchmark]
    public void Swav()
    {
        using var codes = Sinkhorn.Swav(scores, new SwavOptions(Epsilon: 0.05, Iterations: 3));
        BenchmarkClock.Wait(codes);
    }
}
