using System.Diagnostics;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Cli.Check;

/// <summary>One row of the <c>gsl check</c> table: a case, its verdict and the backend's time for it (inputs, call, outputs back).</summary>
internal sealed record CaseReport(string Op, string Shape, double MaxError, double WorstRatio, double Milliseconds, string? Failure)
{
    public bool Ok => Failure is null;
}

/// <summary>Runs every case on the backend under test and on the CPU backend and compares them.</summary>
internal static class CheckRunner
{
    public static List<CaseReport> Run(Backend backend, IReadOnlyList<CheckCase> cases, CheckComparison comparison, Action<CaseReport>? progress = null)
    {
        var reports = new List<CaseReport>(cases.Count);
        foreach (var c in cases)
        {
            var report = RunOne(backend, c, comparison);
            progress?.Invoke(report);
            reports.Add(report);
        }

        return reports;
    }

    private static CaseReport RunOne(Backend backend, CheckCase c, CheckComparison comparison)
    {
        IReadOnlyList<CheckOutput> cpu;
        try
        {
            cpu = c.Run(Backend.Cpu);
        }
#pragma warning disable CA1031 // A case that throws is a failed case; the check reports it and goes on to the next.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new CaseReport(c.Op, c.Shape, double.NaN, double.NaN, double.NaN, $"the CPU backend failed: {e.Message}");
        }

        var clock = Stopwatch.StartNew();
        IReadOnlyList<CheckOutput> got;
        try
        {
            got = c.Run(backend);
        }
#pragma warning disable CA1031 // A case that throws is a failed case; the check reports it and goes on to the next.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new CaseReport(c.Op, c.Shape, double.NaN, double.NaN, clock.Elapsed.TotalMilliseconds, $"{backend.Name} failed: {e.Message}");
        }

        double milliseconds = clock.Elapsed.TotalMilliseconds;
        var verdict = comparison.Compare(cpu, got);
        return new CaseReport(c.Op, c.Shape, verdict.MaxError, verdict.WorstRatio, milliseconds, verdict.Failure);
    }
}
