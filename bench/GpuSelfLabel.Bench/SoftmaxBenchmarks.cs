using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>
/// Softmax forward and backward per backend, through the public API (validation included). Bytes
/// moved per call: forward reads and writes N×K floats (8 bytes per element), backward reads two and
/// writes one (12 bytes per element); <c>gsl bench</c> reports the same as a fraction of the copy bandwidth.
/// </summary>
[MemoryDiagnoser]
public class SoftmaxBenchmarks
{
    private Tensor logits = null!;
    private Tensor probs = null!;
    private Tensor grad = null!;

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
        probs = Softmax.Forward(logits);
        grad = BenchmarkData.Uniform(backend, 2, 1f, N, K);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        probs.Dispose();
        grad.Dispose();
    }

    [Benchmark]
    public void Forward()
    {
        using var p = Softmax.Forward(logits);
        BenchmarkClock.Wait(p);
    }

    [Benchmark]
    public void Backward()
    {
        using var d = Softmax.Backward(probs, grad);
        BenchmarkClock.Wait(d);
    }
}
