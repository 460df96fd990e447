using System.Globalization;
using GpuSelfLabel.Cli.Cluster;
using Spectre.Console;

namespace GpuSelfLabel.Cli.LargeSinkhorn;

/// <summary>
/// Watches a SeLa solve: times every pass (the summary's time per iteration and effective GB/s) and
/// shows progress on stderr, a Spectre.Console bar (head, iteration, error, GB/s) when stderr is a
/// terminal, else one line per completed pass that measured the error (and per setup and final pass)
/// so logs stay readable.
/// </summary>
internal sealed class SinkhornMonitor(TextWriter error, bool quiet, SinkhornMemoryPlan plan, int checkEvery)
{
    private readonly bool interactive = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Completed iteration passes over all heads.</summary>
    public int IterationPasses { get; private set; }

    /// <summary>Seconds in completed iteration passes.</summary>
    public double IterationSeconds { get; private set; }

    /// <summary>Seconds in setup, recovery and finalising passes.</summary>
    public double OtherSeconds { get; private set; }

    /// <summary>Mean seconds per iteration pass (one read of one head's matrix).</summary>
    public double SecondsPerIteration => IterationPasses == 0 ? double.NaN : IterationSeconds / IterationPasses;

    /// <summary>Bytes of the matrix one iteration reads, over the time it takes.</summary>
    public double GigabytesPerSecond => plan.BytesPerIteration / SecondsPerIteration / 1e9;

    public T Run<T>(Func<IProgress<SinkhornProgress>, T> body)
    {
        if (quiet || !interactive)
        {
            return body(new SynchronousProgress<SinkhornProgress>(r =>
            {
                Record(r);
                if (!quiet && r.Completed && (r.Phase != SinkhornPhase.Iteration || (r.Iteration - 1) % checkEvery == 0))
                {
                    error.WriteLine(Describe(r));
                }
            }));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var tasks = new ProgressTask?[plan.Heads];
                return body(new SynchronousProgress<SinkhornProgress>(r =>
                {
                    Record(r);
                    var task = tasks[r.Head] ??= context.AddTask(Markup.Escape(Describe(r)), maxValue: r.MaxIterations);
                    task.Description = Markup.Escape(Describe(r));
                    task.Value = r.Phase == SinkhornPhase.Finalize && r.Completed
                        ? r.MaxIterations
                        : Math.Min(r.MaxIterations, r.Iteration + ((double)r.RowsDone / r.Rows));
                }));
            });
    }

    private void Record(SinkhornProgress r)
    {
        if (!r.Completed)
        {
            return;
        }

        if (r.Phase == SinkhornPhase.Iteration)
        {
            IterationPasses++;
            IterationSeconds += r.Seconds;
        }
        else
        {
            OtherSeconds += r.Seconds;
        }
    }

    private string Describe(SinkhornProgress r)
    {
        string head = plan.Heads > 1 ? $"head {r.Head + 1}/{plan.Heads} " : string.Empty;
        double rate = plan.BytesPerIteration * ((double)r.RowsDone / r.Rows) / Math.Max(r.Seconds, 1e-9) / 1e9;
        string phase = r.Phase switch
        {
            SinkhornPhase.Setup => "setup",
            SinkhornPhase.Recovery => "log-domain r",
            SinkhornPhase.Finalize => "labels",
            _ => string.Create(CultureInfo.InvariantCulture, $"iteration {(r.Completed ? r.Iteration : r.Iteration + 1)}"),
        };
        string err = double.IsPositiveInfinity(r.Error) ? "–" : r.Error.ToString("G4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{head}{phase}: err {err}, {r.Seconds:F2} s, {rate:F2} GB/s");
    }
}
