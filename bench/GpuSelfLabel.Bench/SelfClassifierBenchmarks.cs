using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>The Self-Classifier loss and its gradient (§7) per backend, V = 2 views of N×C logits.</summary>
public class SelfClassifierBenchmarks
{
    private Tensor logits = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [Params(4096)]
    public int N { get; set; }

    [Params(1000, 3000)]
    public int C { get; set; }

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup() => logits = BenchmarkData.Uniform(BackendRegistry.Open(Backend), 1, 3f, 2, N, C);

    [GlobalCleanup]
    public void Cleanup() => logits.Dispose();

    [Benchmark]
    public double LossAndGradient()
    {
        var result = SelfClassifier.Compute(logits);
        BenchmarkClock.Wait(result.DLogits);
        result.DLogits.Dispose();
        return result.Loss;
    }
}
