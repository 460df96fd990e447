using System.Globalization;
using GpuSelfLabel.Clustering;
using Spectre.Console;

namespace GpuSelfLabel.Cli.Cluster;

/// <summary>
/// Training progress on stderr (stdout stays for the summary or the one JSON object): a live
/// Spectre.Console bar with the loss and, given labels, ACC/NMI/ARI when stderr is a terminal; one
/// plain line per epoch otherwise, so logs and pipes stay readable.
/// </summary>
internal sealed class ClusterProgressDisplay(TextWriter error, bool quiet)
{
    private readonly bool interactive = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

    public T Run<T>(string method, int epochs, Func<IProgress<EpochReport>?, T> body)
    {
        if (quiet)
        {
            return body(null);
        }

        if (!interactive)
        {
            return body(new SynchronousProgress<EpochReport>(r => error.WriteLine($"{method}: {Describe(r)}")));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape($"{method}: starting"), maxValue: epochs);
                return body(new SynchronousProgress<EpochReport>(r =>
                {
                    task.Description = Markup.Escape($"{method}: {Describe(r)}");
                    task.Value = r.Epoch;
                }));
            });
    }

    /// <summary>One message outside any bar (k-means has no epochs).</summary>
    public void Note(string text)
    {
        if (!quiet)
        {
            error.WriteLine(text);
        }
    }

    private static string Describe(EpochReport r)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{r.Epochs} loss {r.Loss:F4}");
        if (r.Scores is { } s)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" ACC {s.Accuracy:F4} NMI {s.Nmi:F4} ARI {s.Ari:F4}");
        }

        return text + string.Create(CultureInfo.InvariantCulture, $" clusters {r.ClustersUsed} ({r.Seconds:F1} s)");
    }
}
