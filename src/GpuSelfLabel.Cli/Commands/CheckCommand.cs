using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;
using GpuSelfLabel.Cli.Check;
using GpuSelfLabel.Cli.Json;
using Spectre.Console;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl check</c>: the self-test a user runs on a new machine. Every operation of ops.md on seeded
/// inputs and edge shapes, on the chosen backend and on the CPU backend, compared within ops.md's
/// contract; a table (or one JSON object) of op, shape, max error, pass/fail and milliseconds. Exit 0
/// only if every case passes, 1 if any fails.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var backend = BackendChoice.CreateOption();
        var sizes = new Option<string?>("--sizes")
        {
            Description = "N×K shapes every operation runs at, comma-separated (default: "
                + string.Join(",", CheckCatalog.DefaultSizes) + "); the ±80 logits, float16/bfloat16 SeLa storage, "
                + "streamed SeLa chunks and 3-head SeLa cases run at the largest",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
        var scale = new Option<double>("--tolerance-scale")
        {
            Description = "Multiply every tolerance of the contract by this (default 1); 0 demands bitwise agreement with the CPU, which shows the check can fail",
            DefaultValueFactory = _ => 1.0,
        };
        var command = new Command("check", Description()) { backend, sizes, json, scale };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var sizeList = parse.GetValue(sizes) is { } text ? BenchmarkSize.ParseList(text) : CheckCatalog.DefaultSizes;
            foreach (var size in sizeList.Where(s => s.Elements > 1L << 28))
            {
                throw new GslArgumentException("sizes", $"'{size}' is larger than the check's limit of 2^28 elements (the CPU backend computes every case too)");
            }

            double toleranceScale = parse.GetValue(scale);
            if (!(toleranceScale >= 0) || double.IsInfinity(toleranceScale))
            {
                throw new GslArgumentException("tolerance-scale", $"must be finite and ≥ 0, got {toleranceScale.ToString(CultureInfo.InvariantCulture)}");
            }

            var device = BackendChoice.Open(parse.GetValue(backend)!);
            var cases = CheckCatalog.Cases(sizeList);
            var reports = CheckRunner.Run(device, cases, new CheckComparison(toleranceScale), r =>
                error.WriteLine($"gsl check: {r.Op} {r.Shape} {(r.Ok ? "ok" : "FAILED")}"));
            if (parse.GetValue(json))
            {
                output.WriteLine(Serialize(device, toleranceScale, reports));
            }
            else
            {
                WriteTable(device, reports, output);
            }

            return reports.TrueForAll(r => r.Ok) ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static string Description() =>
        "Self-test: every operation of ops.md (softmax, log-softmax and their backward passes, collision and Shannon "
        + "cross-entropy, the EM pseudo-labels, SeLa and SwAV Sinkhorn, Self-Classifier, Average-K) on seeded inputs "
        + "and edge shapes (K = 2, K not a multiple of any group size, K = 3000 and 10000, one row, ±80 logits, "
        + "float16/bfloat16 SeLa storage, a host matrix streamed in chunks, several heads), run on the chosen backend and "
        + "on the CPU backend and compared within ops.md's contract, each side held to it against float64: elementwise "
        + "|got − cpu| ≤ 2·(1e-4·|cpu| + 1e-6), scalars within relative 2e-5, iteration counts and 0/1 targets exact, "
        + "hard labels exact except near ties. Exit 0 only if every case passes, 1 if any fails.";

    private static void WriteTable(Backend device, List<CaseReport> reports, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        output.WriteLine($"{device.Name} ({device.DeviceName}) against cpu");
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("op");
        table.AddColumn("shape");
        table.AddColumn(new TableColumn("max error").RightAligned());
        table.AddColumn(new TableColumn("of allowed").RightAligned());
        table.AddColumn("result");
        table.AddColumn(new TableColumn("ms").RightAligned());
        foreach (var r in reports)
        {
            table.AddRow(
                Markup.Escape(r.Op), Markup.Escape(r.Shape), Number(r.MaxError, "G3"),
                double.IsNaN(r.WorstRatio) ? "-" : double.IsPositiveInfinity(r.WorstRatio) ? "∞" : (r.WorstRatio * 100).ToString("F1", CultureInfo.InvariantCulture) + "%",
                r.Ok ? "pass" : "FAIL", Number(r.Milliseconds, "F1"));
        }

        console.Write(table);
        foreach (var r in reports.Where(r => !r.Ok))
        {
            output.WriteLine($"FAIL {r.Op} {r.Shape}: {r.Failure}");
        }

        int passed = reports.Count(r => r.Ok);
        output.WriteLine($"{passed} passed, {reports.Count - passed} failed");
    }

    private static string Number(double value, string format) => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Serialize(Backend device, double toleranceScale, List<CaseReport> reports)
    {
        static double? Finite(double v) => double.IsFinite(v) ? v : null;
        int passed = reports.Count(r => r.Ok);
        var payload = new CheckPayload(
            device.Name,
            device.DeviceName,
            toleranceScale,
            passed,
            reports.Count - passed,
            [.. reports.Select(r => new CaseEntry(r.Op, r.Shape, Finite(r.MaxError), Finite(r.WorstRatio), r.Ok, Finite(r.Milliseconds), r.Failure))]);
        return JsonSerializer.Serialize(payload, CliJsonContext.Default.CheckPayload);
    }

    // The --json object; keys are these names in snake_case (CliJsonContext).

    /// <summary>The whole object: backend, device, tolerance scale, counts and one entry per case.</summary>
    internal sealed record CheckPayload(string Backend, string Device, double ToleranceScale, int Passed, int Failed, IReadOnlyList<CaseEntry> Cases);

    /// <summary>
    /// One case: <c>max_error</c> is the largest |got − cpu|, <c>of_allowed</c> the largest ratio of a
    /// difference to what the contract allows (null when infinite: a mismatch where none is allowed).
    /// </summary>
    internal sealed record CaseEntry(string Op, string Shape, double? MaxError, double? OfAllowed, bool Ok, double? Ms, string? Failure);
}
