using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>
/// Collision (§2) and Shannon (§3) cross-entropy, forward and backward fused, per backend through the
/// public API. Bytes per call: collision reads z, y and writes ∂z, ∂y (16 per element); Shannon
/// reads z, y and writes ∂z (12 per element).
/// </summary>
public class CrossEntropyBenchmarks
{
    private Tensor logits = null!;
    private Tensor targets = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [Params(65536)]
    public int N { get; set; }

    [Params(1000, 3000)]
    public int K { get; set; }

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup()
    {
        var backend = BackendRegistry.Open(Backend);
        logits = BenchmarkData.Uniform(backend, 1, 3f, N, K);
        targets = BenchmarkData.Distributions(backend, 2, N, K);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        targets.Dispose();
    }

    [Benchmark]
    public double Collision()
    {
        using var result = CollisionCrossEntropy.Compute(logits, targets);
        return result.Loss;
    }

    [Benchmark]
    public double Shannon()
    {
        using var result = CrossEntropy.Compute(logits, targets);
        return result.Loss;
    }
}
