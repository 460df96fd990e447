using System.Text.Json;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Cli.Bench;

/// <summary>The one JSON object <c>gsl bench --json</c> prints (snake_case keys, seconds and GB/s as numbers).</summary>
internal static class BenchJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static string Serialize(BenchmarkReport report)
    {
        var bandwidth = report.Bandwidth;
        var payload = new
        {
            backend = report.Backend,
            device = report.Device,
            warmup = report.Settings.Warmup,
            warmup_seconds = report.Settings.WarmupSeconds,
            repeat = report.Settings.Repeat,
            bandwidth = new
            {
                method = bandwidth.Method,
                buffer_bytes = bandwidth.BufferBytes,
                bytes = bandwidth.Bytes,
                median_s = bandwidth.MedianSeconds,
                min_s = bandwidth.Seconds[0],
                gb_per_s = bandwidth.GigabytesPerSecond,
            },
            results = report.Results.Select(r => new
            {
                op = r.Operation.Name,
                scope = r.Operation.Scope == BenchmarkScope.Kernel ? "kernel" : "operation",
                rows = r.Size.Rows,
                columns = r.Size.Columns,
                bytes = r.Bytes,
                bytes_model = r.Operation.BytesModel,
                median_s = r.MedianSeconds,
                min_s = r.MinSeconds,
                gb_per_s = r.GigabytesPerSecond,
                fraction_of_bandwidth = r.FractionOf(bandwidth),
                error = r.Error,
            }),
        };
        return JsonSerializer.Serialize(payload, Options);
    }
}
