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
    /// Copies a buffer of <see cref="BenchmarkSettings.BandwidthBytes"/> bytes with
    /// the copy_stream kernel on GPU backends or a streaming copy on the CPU, counting read + write.
    /// </summary>
    public static BandwidthMeasurement MeasureBandwidth(Backend backend, BenchmarkSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        settings ??= new BenchmarkSettings();
        settings.Validate();
        long bufferBytes = settings.BandwidthBytes;
        double[] seconds;
        using (var copy = BenchmarkOperations.BandwidthCopy(backend, bufferBytes))
        {
            seconds = BenchmarkClock.Measure(copy, settings);
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
    /// <param name="settings">Warm-up, repeats and the bandwidth buffer; the defaults when null.</param>
    /// <param name="progress">Told what is being measured next, or null.</param>
    public static BenchmarkReport Run(
        Backend backend, IEnumerable<BenchmarkOperation> operations, IEnumerable<BenchmarkSize> sizes,
        BenchmarkSettings? settings = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(sizes);
        settings ??= new BenchmarkSettings();
        settings.Validate();
        var operationList = operations.ToList();
        var sizeList = sizes.ToList();
        progress?.Report($"bandwidth: copying {settings.BandwidthBytes / (1 << 20)} MiB");
        var bandwidth = MeasureBandwidth(backend, settings);

        var results = new List<BenchmarkResult>();
        foreach (var size in sizeList)
        {
            foreach (var operation in operationList)
            {
                progress?.Report($"{operation.Name} {size}");
                results.Add(Measure(backend, operation, size, settings));
            }
        }

        return new BenchmarkReport(backend.Name, backend.DeviceName, bandwidth, settings, results);
    }

    private static BenchmarkResult Measure(Backend backend, BenchmarkOperation operation, BenchmarkSize size, BenchmarkSettings settings)
    {
        long bytes = operation.Bytes(backend, size);
        try
        {
            using var benchmarkCase = operation.Prepare(backend, size);
            return new BenchmarkResult(operation, size, bytes, BenchmarkClock.Measure(benchmarkCase, settings), null);
        }
        catch (Exception e) when (e is GslArgumentException or GslDeviceException or OutOfMemoryException)
        {
            // One size too large for the device, or outside an operation's domain, should not lose
            // the other measurements: the result says why instead.
            return new BenchmarkResult(operation, size, bytes, [], e.Message);
        }
    }
}
