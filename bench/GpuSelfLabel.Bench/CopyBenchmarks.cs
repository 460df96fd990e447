using BenchmarkDotNet.Attributes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Bench;

/// <summary>
/// The bandwidth reference per backend: the copy kernel (GPU) or streaming copy (CPU) that
/// <c>gsl bench</c> compares every operation with. Bytes moved per call: 2 × the buffer.
/// </summary>
public class CopyBenchmarks
{
    private Tensor source = null!;
    private Tensor destination = null!;
    private Backend backend = null!;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "cpu";

    [Params(256, 1024)]
    public int MiB { get; set; }

    public static IEnumerable<string> Backends => BackendParameters.Available();

    [GlobalSetup]
    public void Setup()
    {
        backend = BackendRegistry.Open(Backend);
        long elements = MiB * (1L << 20) / sizeof(float);
        source = BenchmarkData.Uniform(backend, 1, 1f, elements);
        destination = backend.Allocate(DType.Float32, elements);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        source.Dispose();
        destination.Dispose();
    }

    [Benchmark]
    public void Copy()
    {
        backend.Kernels.Copy(source, destination);
        BenchmarkClock.Wait(destination);
    }
}
