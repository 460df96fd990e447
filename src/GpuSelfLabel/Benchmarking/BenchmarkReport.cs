namespace GpuSelfLabel.Benchmarking;

/// <summary>The measured memory bandwidth every result is compared with.</summary>
/// <param name="Method">How it was measured, in words.</param>
/// <param name="BufferBytes">Size of the copied buffer.</param>
/// <param name="Bytes">Bytes moved per copy: read + write, twice the buffer.</param>
/// <param name="Seconds">Seconds of the timed copies, sorted.</param>
public sealed record BandwidthMeasurement(string Method, long BufferBytes, long Bytes, IReadOnlyList<double> Seconds)
{
    /// <summary>The median copy time.</summary>
    public double MedianSeconds => BenchmarkClock.Median(Seconds);

    /// <summary>Bandwidth of the median copy, in GB/s (10^9 bytes per second).</summary>
    public double GigabytesPerSecond => Bytes / MedianSeconds / 1e9;
}

/// <summary>One operation at one size.</summary>
/// <param name="Operation">What was timed.</param>
/// <param name="Size">N×K.</param>
/// <param name="Bytes">The model's bytes for one call.</param>
/// <param name="Seconds">Seconds of the timed calls, sorted (empty when <paramref name="Error"/> is set).</param>
/// <param name="Error">Why the operation could not run at this size (out of device memory, outside its domain), or null.</param>
public sealed record BenchmarkResult(BenchmarkOperation Operation, BenchmarkSize Size, long Bytes, IReadOnlyList<double> Seconds, string? Error)
{
    /// <summary>The median time, or null when the operation failed.</summary>
    public double? MedianSeconds => Seconds.Count == 0 ? null : BenchmarkClock.Median(Seconds);

    /// <summary>The fastest time, or null when the operation failed.</summary>
    public double? MinSeconds => Seconds.Count == 0 ? null : Seconds[0];

    /// <summary>Effective bandwidth, model bytes ÷ median time, in GB/s.</summary>
    public double? GigabytesPerSecond => MedianSeconds is { } t ? Bytes / t / 1e9 : null;

    /// <summary>Effective bandwidth as a fraction of <paramref name="bandwidth"/>.</summary>
    public double? FractionOf(BandwidthMeasurement bandwidth)
    {
        ArgumentNullException.ThrowIfNull(bandwidth);
        return GigabytesPerSecond / bandwidth.GigabytesPerSecond;
    }
}

/// <summary>Everything one benchmark run measured.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="Device">The device in words.</param>
/// <param name="Bandwidth">The copy bandwidth the results are compared with.</param>
/// <param name="Settings">How each case was timed.</param>
/// <param name="Results">One entry per operation and size, sizes outermost.</param>
public sealed record BenchmarkReport(
    string Backend,
    string Device,
    BandwidthMeasurement Bandwidth,
    BenchmarkSettings Settings,
    IReadOnlyList<BenchmarkResult> Results);
