using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.TorchSharp;
using Spectre.Console;
using TorchSharp;

namespace GpuSelfLabel.Train;

/// <summary>
/// <c>gsl-train</c>: option parsing, the run, the progress display on stderr, the outputs and the
/// exit codes (0 success, 2 bad usage or input naming the argument, 1 internal error, 130 stopped).
/// </summary>
internal static class TrainApp
{
    public static int Start(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        void Stop(object? sender, ConsoleCancelEventArgs e)
        {
            // The first Ctrl-C finishes the current batch and writes nothing; a second one kills.
            if (!cancel.IsCancellationRequested)
            {
                e.Cancel = true;
                cancel.Cancel();
            }
        }

        Console.CancelKeyPress += Stop;
        try
        {
            return Run(args, Console.Out, Console.Error, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= Stop;
        }
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            stdout.WriteLine(TrainOptions.Help);
            return 0;
        }

        try
        {
            TorchSharpLoader.EnsureLoaded();
            var options = TrainOptions.Parse(args);
            CheckBackend(options.Backend);
            if (options.Out is { } outDir)
            {
                CheckOut(outDir);
            }

            var data = TrainData.Load(options);
            var result = WithProgress(options, stderr, (progress, batches) => Trainer.Run(options, data, progress, batches, cancel));
            string report = Report(options, data, result);
            if (options.Out is { } target)
            {
                Write(target, result, report);
            }

            if (options.Json)
            {
                stdout.WriteLine(Summary(options, result));
            }
            else
            {
                stdout.WriteLine(Text(options, data, result));
            }

            return 0;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"gsl-train: {e.Message}");
            return 2;
        }
        catch (GslArgumentException e)
        {
            stderr.WriteLine($"gsl-train: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("gsl-train: stopped by Ctrl-C after the current batch; nothing written");
            return 130;
        }
        catch (TorchSharpLoadException e)
        {
            stderr.WriteLine($"gsl-train: {e.Message}");
            return 1;
        }
        catch (GslDeviceException e)
        {
            stderr.WriteLine($"gsl-train: {e.Message}");
            return 1;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // LibTorch refusing what the checks above did not foresee (an allocation it cannot make):
            // its first line, not the stack of native frames behind it.
            stderr.WriteLine($"gsl-train: LibTorch: {e.Message.Split('\n')[0].Trim()}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stderr.WriteLine($"gsl-train: {e.Message}");
            return 1;
        }
    }

    private static TrainResult WithProgress(TrainOptions o, TextWriter stderr, Func<IProgress<EpochReport>?, Action<double>?, TrainResult> body)
    {
        string name = $"{o.Method}/{o.Network}";
        if (o.Quiet)
        {
            return body(null, null);
        }

        bool interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
        {
            return body(new Immediate(r => stderr.WriteLine($"{name}: {Describe(r)}")), null);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape($"{name}: epoch 1/{o.Epochs}"), maxValue: o.Epochs);
                return body(
                    new Immediate(r => task.Description = Markup.Escape($"{name}: {Describe(r)}")),
                    done => task.Value = done);
            });
    }

    private static string Describe(EpochReport r)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{r.Epochs} loss {r.Loss:F4}");
        if (r.Scores is { } s)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" ACC {s.Accuracy:F4} NMI {s.Nmi:F4}");
        }

        return text + string.Create(CultureInfo.InvariantCulture, $" ({r.Seconds:F0} s)");
    }

    /// <summary>
    /// cli.md's --backend: the library's ops run where the tensors are, and this gsl-train's LibTorch
    /// (TorchSharp-cpu) makes CPU tensors only.
    /// </summary>
    private static void CheckBackend(string backend)
    {
        if (backend is "opencl" or "cuda")
        {
            throw new GslDeviceException($"--backend {backend}: gsl-train's tensors are LibTorch CPU tensors (TorchSharp-cpu), and the library's ops run where the tensors are; use --backend cpu or auto");
        }
    }

    /// <summary>
    /// Refuses an --out that cannot take the outputs, before any work and without leaving anything on
    /// disk: a file, a path below a file, a non-empty directory, or a place where no directory can be
    /// made (tried once with a probe that is removed at once). Nothing is created until training is done.
    /// </summary>
    private static void CheckOut(string outDir)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (File.Exists(full))
        {
            throw new UsageException("--out", $"{outDir} is a file");
        }

        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new UsageException("--out", $"{outDir} exists and is not empty");
        }

        string? existing = Path.GetDirectoryName(full) ?? throw new UsageException("--out", $"{outDir} is the root directory");
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new UsageException("--out", $"{outDir} lies below {existing}, which is a file");
            }

            existing = Path.GetDirectoryName(existing)!;
        }

        string probe = Path.Combine(existing, $".gsl-train-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException("--out", $"no directory can be made in {existing}: {e.Message}");
        }
    }

    /// <summary>The outputs into a staging folder next to DIR, then one rename: DIR gets all of them or none.</summary>
    private static void Write(string outDir, TrainResult result, string report)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        string parent = Path.GetDirectoryName(full)!;
        string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(parent);
            Directory.CreateDirectory(staging);
            result.Network.save(Path.Combine(staging, "model.dat"));
            NpyWriter.Write(Path.Combine(staging, "clusters.npy"), NpyArray.OfIntegers(Array.ConvertAll(result.Clusters, c => (long)c), result.Clusters.Length));
            File.WriteAllText(Path.Combine(staging, "report.json"), report);
            if (Directory.Exists(full))
            {
                Directory.Delete(full);
            }

            Directory.Move(staging, full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw new UsageException("--out", $"cannot write {outDir}: {e.Message}");
        }
    }

    private static string Summary(TrainOptions o, TrainResult r) => Json(w =>
    {
        Scores(w, r.Scores);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 2));
        w.WriteString("method", o.Method);
        w.WriteString("network", o.Network);
        w.WriteNumber("epochs", o.Epochs);
    }, indented: false);

    private static string Report(TrainOptions o, TrainData data, TrainResult r) => Json(w =>
    {
        Scores(w, r.Scores);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 2));
        w.WriteString("method", o.Method);
        w.WriteString("network", o.Network);
        w.WriteNumber("epochs", o.Epochs);
        w.WriteNumber("k", o.K);
        w.WriteNumber("seed", o.Seed);
        w.WriteNumber("batch_size", o.BatchSize);
        w.WriteNumber("lr", o.LearningRate);
        w.WriteNumber("lambda", o.Lambda);
        w.WriteNumber("neighbours", o.Neighbours);
        w.WriteNumber("heads", o.Heads);
        w.WriteNumber("head", r.Network.Head);
        w.WriteStartArray("head_losses");
        foreach (var loss in r.HeadLosses)
        {
            w.WriteNumberValue(loss);
        }

        w.WriteEndArray();
        if (r.HeadScores is { } headScores)
        {
            w.WriteStartArray("head_scores");
            foreach (var s in headScores)
            {
                w.WriteStartObject();
                Scores(w, s);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteNumber("threads", torch.get_num_threads());
        w.WriteString("input", o.Dataset ?? o.Images);
        w.WriteNumber("train_images", data.TrainRows);
        w.WriteString("scored_on", data.ScoredOn);
        w.WriteNumber("scored_images", data.ScoredRows);
        w.WriteStartArray("epoch_losses");
        foreach (var loss in r.EpochLosses)
        {
            w.WriteNumberValue(loss);
        }

        w.WriteEndArray();
    }, indented: true);

    private static void Scores(Utf8JsonWriter w, ClusteringScores? s)
    {
        if (s is null)
        {
            w.WriteNull("acc");
            w.WriteNull("nmi");
            w.WriteNull("ari");
            return;
        }

        w.WriteNumber("acc", Math.Round(s.Accuracy, 4));
        w.WriteNumber("nmi", Math.Round(s.Nmi, 4));
        w.WriteNumber("ari", Math.Round(s.Ari, 4));
    }

    private static string Json(Action<Utf8JsonWriter> body, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Text(TrainOptions o, TrainData data, TrainResult r)
    {
        string scores = r.Scores is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"ACC {s.Accuracy:F4}  NMI {s.Nmi:F4}  ARI {s.Ari:F4} on {data.ScoredRows} {(data.ScoredOn == "images" ? "given" : data.ScoredOn)} images")
            : $"{data.ScoredRows} images clustered (no labels to score)";
        var heads = new StringBuilder();
        for (int h = 0; h < r.HeadLosses.Count && r.HeadLosses.Count > 1; h++)
        {
            heads.Append(CultureInfo.InvariantCulture, $"\nhead {h}{(h == r.Network.Head ? " (used)" : string.Empty)}: last epoch's loss {r.HeadLosses[h]:F4}");
            if (r.HeadScores is { } hs)
            {
                heads.Append(CultureInfo.InvariantCulture, $", ACC {hs[h].Accuracy:F4}  NMI {hs[h].Nmi:F4}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{o.Method} / {o.Network}, {o.Epochs} epochs, K = {o.K}, seed {o.Seed}: {scores}, {r.Seconds:F1} s") + heads +
            (o.Out is null ? string.Empty : $"\nwrote {Path.Combine(o.Out, "model.dat")}, clusters.npy, report.json");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Immediate(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
