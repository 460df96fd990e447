using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GpuSelfLabel.Cli.LargeSinkhorn;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Cli.Ops;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl sinkhorn</c>: the large-N SeLa solver (ops.md §5) on a memory-mapped .npy of logits, on
/// features with a classifier, or on a synthetic problem of a given size. Prints the memory plan before
/// work starts, progress on stderr, then the time per iteration, the effective GB/s and the cluster
/// balance; writes labels, log r, log c, the iteration counts and, when asked, the codes. Ctrl-C stops
/// between chunks, writes nothing and exits with 1.
/// </summary>
internal static class SinkhornCommand
{
    /// <summary>Codes larger than this are refused without --force: at ImageNet scale they are 15 GB.</summary>
    internal const long CodesLimitBytes = 2L << 30;

    public static Command Create(CancellationToken external = default)
    {
        var logits = new Option<FileInfo?>("--logits") { Description = "N×K or H×N×K logits (.npy float32 '<f4', float16 '<f2', bfloat16 '<u2' with --dtype bfloat16 or '|V2'), memory-mapped; float64 is read whole and converted to float32" };
        var features = new Option<FileInfo?>("--features") { Description = "N×D features (.npy): scores x·W + b are recomputed per chunk instead of stored" };
        var weights = new Option<FileInfo?>("--weights") { Description = "D×K (or H×D×K) classifier weights for --features" };
        var bias = new Option<FileInfo?>("--bias") { Description = "K (or H×K) classifier bias for --features" };
        var n = new Option<long?>("--n") { Description = "Synthetic problem: rows N" };
        var k = new Option<int?>("--k") { Description = "Synthetic problem: clusters K" };
        var heads = new Option<int>("--heads") { Description = "Synthetic problem: heads H", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Synthetic problem: seed (equal seeds, equal matrices)", DefaultValueFactory = _ => 0 };
        var dtype = new Option<string?>("--dtype") { Description = "Storage type of the scores: float32, float16 or bfloat16 (synthetic default float32; a file's own type otherwise)" };
        var sela = new SinkhornParameters();
        var chunkRows = new Option<long?>("--chunk-rows") { Description = "Rows per chunk (default: the largest the memory budget allows)" };
        var budget = new Option<string?>("--memory-budget") { Description = "Bytes the solver may allocate on the device, e.g. 512M or 8G (default: what the device reports)" };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Write labels.npy (int64), logr.npy, logc.npy, iterations.npy (and codes.npy) here; {OutputSet.Rule}" };
        var overwrite = OutputSet.OverwriteOption();
        var codes = new Option<bool>("--codes") { Description = $"Also write the soft codes (N×K float32); refused above {SinkhornMemoryPlan.Bytes(CodesLimitBytes)} without --force" };
        var force = new Option<bool>("--force") { Description = "Write codes of any size" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of the summary" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress on stderr" };
        var backend = BackendChoice.CreateOption();

        var command = new Command("sinkhorn", "The large-N SeLa Sinkhorn-Knopp solver with a memory plan, progress and throughput");
        Option[] every =
        [
            logits, features, weights, bias, n, k, heads, seed, dtype, .. sela.All,
            chunkRows, budget, output, overwrite, codes, force, json, quiet, backend,
        ];
        foreach (var option in every)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(output) is { } target)
            {
                OutputSet.CheckTarget(target.FullName, parse.GetValue(overwrite));
            }

            bool wantCodes = parse.GetValue(codes);
            var options = sela.Read(parse, wantCodes, parse.GetValue(chunkRows), ParseBytes(parse.GetValue(budget)));
            DType? storage = ParseDType(parse.GetValue(dtype));

            using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(external);
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                // The first Ctrl-C stops the solve between chunks; the process then exits on its own.
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var device = BackendChoice.Open(parse.GetValue(backend)!);
                var clock = Stopwatch.StartNew();
                using var input = Open(parse, logits, features, weights, bias, n, k, heads, seed, storage, device, interrupt.Token);
                var plan = Sinkhorn.PlanSeLa(input.Problem, options);
                if (wantCodes && plan.Heads * plan.Rows * plan.Columns * sizeof(float) > CodesLimitBytes && !parse.GetValue(force))
                {
                    throw new GslArgumentException("codes", $"would be {SinkhornMemoryPlan.Bytes(plan.Heads * plan.Rows * plan.Columns * sizeof(float))} (N×K float32); pass --force to write them anyway");
                }

                bool human = !parse.GetValue(json);
                if (human)
                {
                    stdout.WriteLine($"gsl sinkhorn: {input.Description}");
                    foreach (var line in plan.Describe())
                    {
                        stdout.WriteLine($"  {line}");
                    }

                    stdout.Flush();
                }

                var monitor = new SinkhornMonitor(stderr, parse.GetValue(quiet), plan, options.CheckEvery);
                var solveClock = Stopwatch.StartNew();
                using var result = monitor.Run(progress => Sinkhorn.SeLa(input.Problem, options, progress, interrupt.Token));
                double solveSeconds = solveClock.Elapsed.TotalSeconds;
                var balance = Balance.Of(result.Labels, plan.Heads, plan.Rows, plan.Columns);
                var outputs = Outputs(result, plan, parse.GetValue(output)?.FullName, parse.GetValue(overwrite));
                var report = Report(input, plan, result, monitor, balance, solveSeconds, clock.Elapsed.TotalSeconds, outputs);
                if (human)
                {
                    Summarize(stdout, plan, result, monitor, balance, solveSeconds, outputs);
                }
                else
                {
                    stdout.WriteLine(report.ToJsonString());
                }

                if (SinkhornWarning.NotConverged(result, options) is { } warning)
                {
                    stderr.WriteLine($"gsl sinkhorn: warning: {warning}");
                }

                return ExitCodes.Success;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }));
        return command;
    }

    private static SinkhornInput Open(
        ParseResult parse, Option<FileInfo?> logits, Option<FileInfo?> features, Option<FileInfo?> weights, Option<FileInfo?> bias,
        Option<long?> n, Option<int?> k, Option<int> heads, Option<int> seed, DType? storage, Backends.Backend device, CancellationToken cancellation)
    {
        var logitsFile = parse.GetValue(logits);
        var featuresFile = parse.GetValue(features);
        long? rows = parse.GetValue(n);
        int? columns = parse.GetValue(k);
        int sources = (logitsFile is null ? 0 : 1) + (featuresFile is null ? 0 : 1) + (rows is null && columns is null ? 0 : 1);
        if (sources != 1)
        {
            throw new UsageException("give exactly one of --logits FILE, --features FILE --weights FILE, or --n N --k K (a synthetic problem)");
        }

        if (logitsFile is not null)
        {
            return SinkhornInput.FromLogits(logitsFile, storage, device);
        }

        if (featuresFile is not null)
        {
            if (storage is not (null or DType.Float32))
            {
                throw new GslArgumentException("dtype", "scores recomputed from features are float32; drop --dtype");
            }

            return SinkhornInput.FromFeatures(featuresFile, parse.GetValue(weights), parse.GetValue(bias), device);
        }

        if (rows is not { } r || columns is not { } c)
        {
            throw new UsageException("a synthetic problem needs both --n and --k");
        }

        if (r < 1)
        {
            throw new GslArgumentException("n", $"must be ≥ 1, got {r}");
        }

        if (c < 2)
        {
            throw new GslArgumentException("k", $"must be ≥ 2, got {c}");
        }

        int h = parse.GetValue(heads);
        if (h < 1)
        {
            throw new GslArgumentException("heads", $"must be ≥ 1, got {h}");
        }

        return SinkhornInput.Synthetic(h, r, c, parse.GetValue(seed), storage ?? DType.Float32, device, cancellation);
    }

    private static DType? ParseDType(string? value) => value switch
    {
        null => null,
        "float32" => DType.Float32,
        "float16" => DType.Float16,
        "bfloat16" => DType.BFloat16,
        _ => throw new GslArgumentException("dtype", $"'{value}' is not one of float32, float16, bfloat16"),
    };

    /// <summary>A byte count with an optional K, M, G or T suffix (powers of 1024).</summary>
    internal static long? ParseBytes(string? value)
    {
        if (value is null)
        {
            return null;
        }

        string text = value.Trim();
        long unit = 1;
        if (text.Length > 0 && char.IsLetter(text[^1]))
        {
            unit = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 1L << 10,
                'M' => 1L << 20,
                'G' => 1L << 30,
                'T' => 1L << 40,
                _ => 0,
            };
            text = text[..^1];
        }

        if (unit == 0 || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !(number >= 1) || number * unit > long.MaxValue)
        {
            throw new GslArgumentException("memory-budget", $"'{value}' is not a byte count ≥ 1 (digits with an optional K, M, G or T)");
        }

        return (long)(number * unit);
    }

    /// <summary>Files written (name → shape text); nothing is written before the solve has finished.</summary>
    private static List<(string Name, string Shape)> Outputs(SinkhornResult result, SinkhornMemoryPlan plan, string? directory, bool overwrite)
    {
        var written = new List<(string, string)>();
        if (directory is null)
        {
            return written;
        }

        bool batched = plan.Heads > 1;
        long[] Heads(params long[] shape) => batched ? [plan.Heads, .. shape] : shape;
        var set = new OutputSet();
        void Add(string name, NpyArray array)
        {
            set.Add(name, array);
            written.Add((name, array.ShapeText));
        }

        Add("labels", NpyArray.OfIntegers(result.Labels, Heads(plan.Rows)));
        Add("logr", NpyArray.OfFloats(result.LogR.ToArray(), Heads(plan.Columns)));
        Add("logc", NpyArray.OfFloats(result.LogC.ToArray(), Heads(plan.Rows)));
        Add(
            "iterations",
            batched
                ? NpyArray.OfIntegers(Array.ConvertAll(result.Iterations, t => (long)t), plan.Heads)
                : NpyArray.ScalarInteger(result.Iterations[0]));
        if (result.Codes is { } codes)
        {
            long[] shape = Heads(plan.Rows, plan.Columns);
            set.Add("codes", codes, shape);
            written.Add(("codes", NpyWriter.ShapeText(shape)));
        }

        set.Commit(directory, overwrite);
        return written;
    }

    private static JsonObject Report(
        SinkhornInput input, SinkhornMemoryPlan plan, SinkhornResult result, SinkhornMonitor monitor, Balance[] balance,
        double solveSeconds, double totalSeconds, List<(string Name, string Shape)> outputs) => new()
    {
        ["input"] = input.Description,
        ["backend"] = plan.Backend,
        ["heads"] = plan.Heads,
        ["rows"] = plan.Rows,
        ["columns"] = plan.Columns,
        ["dtype"] = SinkhornInput.Name(plan.StorageType),
        ["plan"] = new JsonObject
        {
            ["source"] = plan.Source.ToString(),
            ["matrix_bytes"] = plan.MatrixBytes,
            ["chunk_rows"] = plan.ChunkRows,
            ["chunks_per_pass"] = plan.ChunksPerPass,
            ["staging_bytes"] = plan.StagingBytes,
            ["vector_bytes"] = plan.VectorBytes,
            ["output_bytes"] = plan.OutputBytes,
            ["budget_bytes"] = plan.BudgetBytes,
        },
        ["iterations"] = new JsonArray([.. result.Iterations.Select(t => (JsonNode)t)]),
        ["converged"] = new JsonArray([.. result.Converged.Select(c => (JsonNode)c)]),
        ["seconds_per_iteration"] = Finite(monitor.SecondsPerIteration),
        ["gigabytes_per_second"] = Finite(monitor.GigabytesPerSecond),
        ["other_pass_seconds"] = monitor.OtherSeconds,
        ["generate_seconds"] = input.GenerateSeconds,
        ["solve_seconds"] = solveSeconds,
        ["total_seconds"] = totalSeconds,
        ["balance"] = new JsonArray([.. balance.Select(b => (JsonNode)new JsonObject
        {
            ["min"] = b.Min,
            ["max"] = b.Max,
            ["expected"] = b.Expected,
            ["empty"] = b.Empty,
        })]),
        ["outputs"] = new JsonArray([.. outputs.Select(o => (JsonNode)o.Name)]),
    };

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static void Summarize(TextWriter stdout, SinkhornMemoryPlan plan, SinkhornResult result, SinkhornMonitor monitor, Balance[] balance, double solveSeconds, List<(string Name, string Shape)> outputs)
    {
        var c = CultureInfo.InvariantCulture;
        for (int h = 0; h < plan.Heads; h++)
        {
            string head = plan.Heads > 1 ? string.Create(c, $"head {h + 1}: ") : string.Empty;
            var b = balance[h];
            stdout.WriteLine(string.Create(c,
                $"  {head}{result.Iterations[h]} iterations; clusters {b.Min:N0} to {b.Max:N0} samples (N/K = {b.Expected:F1}), {b.Empty} empty"));
        }

        stdout.WriteLine(string.Create(c,
            $"  time per iteration {monitor.SecondsPerIteration:F3} s, {monitor.GigabytesPerSecond:F2} GB/s effective ({SinkhornMemoryPlan.Bytes(plan.BytesPerIteration)} read per iteration); solve {solveSeconds:F1} s"));
        if (outputs.Count > 0)
        {
            stdout.WriteLine($"  wrote {string.Join(", ", outputs.Select(o => $"{o.Name}.npy {o.Shape}"))}");
        }
    }

    /// <summary>Cluster sizes of one head: the smallest and largest, N/K, and how many are empty.</summary>
    private readonly record struct Balance(long Min, long Max, double Expected, long Empty)
    {
        public static Balance[] Of(long[] labels, int heads, long rows, long columns)
        {
            var result = new Balance[heads];
            var counts = new long[columns];
            for (int h = 0; h < heads; h++)
            {
                Array.Clear(counts);
                for (long i = 0; i < rows; i++)
                {
                    counts[labels[(h * rows) + i]]++;
                }

                result[h] = new Balance(counts.Min(), counts.Max(), (double)rows / columns, counts.LongCount(v => v == 0));
            }

            return result;
        }
    }
}
