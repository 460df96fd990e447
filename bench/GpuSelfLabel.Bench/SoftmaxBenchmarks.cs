using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Bench;

/// <summary>
/// Softmax forward and backward per backend. Bytes moved per call: forward reads and writes N×K
/// floats (8 bytes per element), backward reads two and writes one (12 bytes per element).
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
        var random = new Random(1);
        var z = new float[N * K];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(random.NextDouble() * 6 - 3);
        }

        logits = backend.FromArray(z, N, K);
        probs = Softmax.Forward(logits);
        grad = backend.FromArray(z, N, K);
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
    }

    [Benchmark]
    public void Backward()
    {
        using var d = Softmax.Backward(probs, grad);
    }
}
