using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>Average-K (§8) per backend: the global threshold (a selection), the batch pseudo-labels and the two-head loss.</summary>
public class AverageKBenchmarks
{
    private const double SetSize = 2.5;
    private Tensor scores = null!;
    private Tensor probs = null!;
    private Tensor multilabel = null!;
    private int[] labels = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [Params(65536)]
    public int N { get; set; }

    [Params(100, 1000)]
    public int L { get; set; }

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup()
    {
        var backend = BackendRegistry.Open(Backend);
        scores = BenchmarkData.Uniform(backend, 1, 3f, N, L);
        probs = BenchmarkData.Distributions(backend, 2, N, L);
        multilabel = BenchmarkData.Uniform(backend, 3, 3f, N, L);
        labels = BenchmarkData.Labels(N, L);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        scores.Dispose();
        probs.Dispose();
        multilabel.Dispose();
    }

    [Benchmark]
    public double Threshold() => AverageK.Threshold(scores, SetSize, labels).Threshold;

    [Benchmark]
    public void PseudoLabels()
    {
        using var targets = AverageK.PseudoLabels(probs, labels, SetSize);
        BenchmarkClock.Wait(targets);
    }

    [Benchmark]
    public double TwoHeadLoss()
    {
        var result = AverageK.TwoHeadLoss(scores, multilabel, labels, SetSize);
        BenchmarkClock.Wait(result.DMultilabel);
        result.DSoftmax.Dispose();
        result.DMultilabel.Dispose();
        return result.Loss;
    }
}
