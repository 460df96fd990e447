using System.CommandLine;
using System.Globalization;
using System.Text;
using GpuSelfLabel.Benchmarking;
using GpuSelfLabel.Cli.Bench;
using Spectre.Console;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl bench</c>: the device's memory bandwidth (a copy), then every operation's effective
/// bandwidth (minimal bytes ÷ median time) and its fraction of that limit, as a table, one JSON
/// object (<c>--json</c>) and optionally an SVG chart (<c>--svg FILE</c>).
/// </summary>
internal static class BenchCommand
{
    private const int DefaultRepeat = 5;
    private const int DefaultBandwidthMib = 1024;

    public static Command Create()
    {
        var backend = BackendChoice.CreateOption();
        var sizes = new Option<string?>("--sizes")
        {
            Description = "Sizes N×K, comma-separated (default: " + string.Join(",", BenchmarkSize.Defaults) + ")",
        };
        var ops = new Option<string?>("--ops")
        {
            Description = "Operations, comma-separated (default: all): " + string.Join(", ", BenchmarkOperations.All.Select(o => o.Name)),
        };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per operation and size; the median is reported", DefaultValueFactory = _ => DefaultRepeat };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first, at least this many (JIT, kernel builds, first touch)", DefaultValueFactory = _ => 1 };
        var warmupSeconds = new Option<double>("--warmup-seconds")
        {
            Description = "And at least this many seconds of untimed runs (.NET optimises a method fully only after it has run a while)",
            DefaultValueFactory = _ => 1.0,
        };
        var bandwidthMib = new Option<int>("--bandwidth-mib") { Description = "Buffer the bandwidth copy streams, in MiB (well beyond the caches)", DefaultValueFactory = _ => DefaultBandwidthMib };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
        var svg = new Option<string?>("--svg") { Description = "Also write the roofline-style chart (fraction of bandwidth per operation and size) to this SVG file" };
        var command = new Command("bench", Description()) { backend, sizes, ops, repeat, warmup, warmupSeconds, bandwidthMib, json, svg };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var sizeList = parse.GetValue(sizes) is { } text ? BenchmarkSize.ParseList(text) : BenchmarkSize.Defaults;
            var operations = ParseOperations(parse.GetValue(ops));
            long bandwidthBytes = AtLeast(parse.GetValue(bandwidthMib), 1, "bandwidth-mib") * (1L << 20);
            var settings = new BenchmarkSettings(parse.GetValue(warmup), parse.GetValue(warmupSeconds), parse.GetValue(repeat), bandwidthBytes);
            settings.Validate();
            if (parse.GetValue(svg) is { } target)
            {
                RooflineSvg.CheckTarget(target);
            }

            var device = BackendChoice.Open(parse.GetValue(backend)!);

            var report = Benchmark.Run(device, operations, sizeList, settings, new LineProgress(error));
            if (parse.GetValue(svg) is { } svgPath)
            {
                RooflineSvg.Write(report, svgPath);
            }

            if (parse.GetValue(json))
            {
                output.WriteLine(BenchJson.Serialize(report));
            }
            else
            {
                WriteTable(report, output, parse.GetValue(svg));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Description()
    {
        var text = new StringBuilder();
        text.AppendLine("Kernel throughput against the measured memory bandwidth (roofline).");
        text.AppendLine("Measures the bandwidth with a copy (the copy_stream kernel on GPU backends, a streaming copy on the CPU),");
        text.AppendLine("then times every operation (warm-up, then the median of --repeat runs; the device is waited for before");
        text.AppendLine("the clock stops) and reports its effective");
        text.AppendLine("bandwidth = minimal bytes ÷ median time and the fraction of the copy bandwidth that is.");
        text.AppendLine("Scope 'kernel': the backend pass alone on preallocated outputs; 'operation': the public library call,");
        text.AppendLine("argument validation included. Bytes per call (each input read once, each output written once, E = N·K, float32):");
        foreach (var op in BenchmarkOperations.All)
        {
            text.Append("  ").Append(op.Name).Append(": ").AppendLine(op.BytesModel);
        }

        return text.ToString().TrimEnd();
    }

    private static List<BenchmarkOperation> ParseOperations(string? text)
    {
        if (text is null)
        {
            return [.. BenchmarkOperations.All];
        }

        var operations = new List<BenchmarkOperation>();
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var op = BenchmarkOperations.Find(name)
                ?? throw new GslArgumentException("ops", $"'{name}' is not one of {string.Join(", ", BenchmarkOperations.All.Select(o => o.Name))}");
            if (!operations.Contains(op))
            {
                operations.Add(op);
            }
        }

        return operations.Count > 0 ? operations : throw new GslArgumentException("ops", "names no operation");
    }

    private static int AtLeast(int value, int minimum, string name) =>
        value >= minimum ? value : throw new GslArgumentException(name, $"must be ≥ {minimum}, got {value}");

    private static void WriteTable(BenchmarkReport report, TextWriter output, string? svgPath)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        var bandwidth = report.Bandwidth;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Backend} ({report.Device}): {bandwidth.GigabytesPerSecond:F1} GB/s measured by {bandwidth.Method}, {bandwidth.BufferBytes / (1 << 20)} MiB, median of {report.Settings.Repeat}"));

        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("operation");
        table.AddColumn("scope");
        table.AddColumn(new TableColumn("N×K").RightAligned());
        table.AddColumn(new TableColumn("MB moved").RightAligned());
        table.AddColumn(new TableColumn("median ms").RightAligned());
        table.AddColumn(new TableColumn("GB/s").RightAligned());
        table.AddColumn(new TableColumn("of copy").RightAligned());
        foreach (var r in report.Results)
        {
            string scope = r.Operation.Scope == BenchmarkScope.Kernel ? "kernel" : "operation";
            string megabytes = (r.Bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);
            if (r.Error is not null)
            {
                table.AddRow(Markup.Escape(r.Operation.Name), scope, r.Size.ToString(), megabytes, "-", "-", "failed");
                continue;
            }

            table.AddRow(
                Markup.Escape(r.Operation.Name), scope, r.Size.ToString(), megabytes,
                (r.MedianSeconds!.Value * 1e3).ToString("F3", CultureInfo.InvariantCulture),
                r.GigabytesPerSecond!.Value.ToString("F2", CultureInfo.InvariantCulture),
                (r.FractionOf(bandwidth)!.Value * 100).ToString("F0", CultureInfo.InvariantCulture) + "%");
        }

        console.Write(table);
        foreach (var r in report.Results.Where(r => r.Error is not null))
        {
            output.WriteLine($"{r.Operation.Name} {r.Size} failed: {r.Error}");
        }

        output.WriteLine("Bytes per call (minimal traffic, E = N·K):");
        foreach (var op in report.Results.Select(r => r.Operation).Distinct())
        {
            output.WriteLine($"  {op.Name}: {op.BytesModel}");
        }

        if (svgPath is not null)
        {
            output.WriteLine($"Chart: {svgPath}");
        }
    }

    /// <summary>Progress lines on stderr, written at once (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineProgress(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"gsl bench: {value}");
    }
}
