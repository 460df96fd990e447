using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// Kernel throughput against the measured memory bandwidth (the roofline of <c>gsl bench</c>):
/// a copy measures what the device's memory sustains, then each operation's effective bandwidth
/// (its minimal bytes, <see cref="BenchmarkOperation.BytesModel"/>, ÷ median time) says how close it
/// comes. Every call waits for the device before the clock stops.
/// </summary>
public static class Benchmark
{
    /// <summary>
    /// Copies a buffer of <paramref name="bufferBytes"/> bytes (choose it well beyond the caches) with
    /// the copy_stream kernel on GPU backends or a streaming copy on the CPU, counting read + write.
    /// </summary>
    public static BandwidthMeasurement MeasureBandwidth(Backend backend, long bufferBytes, int warmup = 1, int repeat = 5)
    {
        ArgumentNullException.ThrowIfNull(backend);
        CheckCounts(warmup, repeat);
        if (bufferBytes < sizeof(float))
        {
            throw new GslArgumentException("bandwidth-bytes", $"must be at least {sizeof(float)}, got {bufferBytes}");
        }

        double[] seconds;
        using (var copy = BenchmarkOperations.BandwidthCopy(backend, bufferBytes))
        {
            seconds = BenchmarkClock.Measure(copy, warmup, repeat);
        }

        string method = backend.Name == "cpu" ? "a streaming copy (one memmove per core)" : "the copy_stream kernel (kernels/copy.cu)";
        long buffer = bufferBytes / sizeof(float) * sizeof(float);
        return new BandwidthMeasurement(method, buffer, 2 * buffer, seconds);
    }

    /// <summary>
    /// Measures the bandwidth, then every operation at every size (sizes outermost). An operation that
    /// cannot run at a size (device memory, its own domain) gets a result with <see cref="BenchmarkResult.Error"/> set.
    /// </summary>
    /// <param name="backend">Where to run.</param>
    /// <param name="operations">Which operations, from <see cref="BenchmarkOperations.All"/>.</param>
    /// <param name="sizes">Which N×K sizes.</param>
    /// <param name="bandwidthBytes">Buffer of the bandwidth copy.</param>
    /// <param name="warmup">Untimed calls first (JIT, kernel builds, first-touch page faults).</param>
    /// <param name="repeat">Timed calls; results report their median.</param>
    /// <param name="progress">Told what is being measured next, or null.</param>
    public static BenchmarkReport Run(
        Backend backend, IEnumerable<BenchmarkOperation> operations, IEnumerable<BenchmarkSize> sizes,
        long bandwidthBytes, int warmup = 1, int repeat = 5, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(sizes);
        CheckCounts(warmup, repeat);
        var operationList = operations.ToList();
        var sizeList = sizes.ToList();
        progress?.Report($"bandwidth: copying {bandwidthBytes / (1 << 20)} MiB");
        var bandwidth = MeasureBandwidth(backend, bandwidthBytes, warmup, repeat);

        var results = new List<BenchmarkResult>();
        foreach (var size in sizeList)
        {
            foreach (var operation in operationList)
            {
                progress?.Report($"{operation.Name} {size}");
                results.Add(Measure(backend, operation, size, warmup, repeat));
            }
        }

        return new BenchmarkReport(backend.Name, backend.DeviceName, bandwidth, warmup, repeat, results);
    }

    private static BenchmarkResult Measure(Backend backend, BenchmarkOperation operation, BenchmarkSize size, int warmup, int repeat)
    {
        long bytes = operation.Bytes(backend, size);
        try
        {
            using var benchmarkCase = operation.Prepare(backend, size);
            return new BenchmarkResult(operation, size, bytes, BenchmarkClock.Measure(benchmarkCase, warmup, repeat), null);
        }
        catch (Exception e) when (e is GslArgumentException or GslDeviceException or OutOfMemoryException)
        {
            // One size too large for the device, or outside an operation's domain, should not lose
            // the other measurements: the result says why instead.
            return new BenchmarkResult(operation, size, bytes, [], e.Message);
        }
    }

    private static void CheckCounts(int warmup, int repeat)
    {
        if (warmup < 0)
        {
            throw new GslArgumentException(nameof(warmup), $"must be ≥ 0, got {warmup}");
        }

        if (repeat < 1)
        {
            throw new GslArgumentException(nameof(repeat), $"must be ≥ 1, got {repeat}");
        }
    }
}
