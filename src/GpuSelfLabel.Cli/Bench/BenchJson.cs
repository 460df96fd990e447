using System.Text.Json;
using GpuSelfLabel.Benchmarking;
using GpuSelfLabel.Cli.Json;

namespace GpuSelfLabel.Cli.Bench;

/// <summary>The one JSON object <c>gsl bench --json</c> prints (snake_case keys, seconds and GB/s as numbers).</summary>
internal static class BenchJson
{
    public static string Serialize(BenchmarkReport report)
    {
        var bandwidth = report.Bandwidth;
        var payload = new BenchPayload(
            report.Backend,
            report.Device,
            report.Settings.Warmup,
            report.Settings.WarmupSeconds,
            report.Settings.Repeat,
            new BandwidthEntry(
                bandwidth.Method,
                bandwidth.BufferBytes,
                bandwidth.Bytes,
                bandwidth.MedianSeconds,
                bandwidth.Seconds[0],
                bandwidth.GigabytesPerSecond),
            [.. report.Results.Select(r => new ResultEntry(
                r.Operation.Name,
                r.Operation.Scope == BenchmarkScope.Kernel ? "kernel" : "operation",
                r.Size.Rows,
                r.Size.Columns,
                r.Bytes,
                r.Operation.BytesModel,
                r.MedianSeconds,
                r.MinSeconds,
                r.GigabytesPerSecond,
                r.FractionOf(bandwidth),
                r.Error))]);
        return JsonSerializer.Serialize(payload, CliJsonContext.Default.BenchPayload);
    }

    // The keys are these names in snake_case (CliJsonContext), in this order.

    /// <summary>The whole object.</summary>
    internal sealed record BenchPayload(
        string Backend,
        string Device,
        int Warmup,
        double WarmupSeconds,
        int Repeat,
        BandwidthEntry Bandwidth,
        IReadOnlyList<ResultEntry> Results);

    /// <summary><c>bandwidth</c>: the copy every result is compared with.</summary>
    internal sealed record BandwidthEntry(string Method, long BufferBytes, long Bytes, double MedianS, double MinS, double GbPerS);

    /// <summary>One element of <c>results</c>: an operation at one size (the timings null when <c>error</c> is set).</summary>
    internal sealed record ResultEntry(
        string Op,
        string Scope,
        long Rows,
        long Columns,
        long Bytes,
        string BytesModel,
        double? MedianS,
        double? MinS,
        double? GbPerS,
        double? FractionOfBandwidth,
        string? Error);
}
