using System.CommandLine;
using System.Globalization;
using GpuSelfLabel.Cli.Cluster;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Cli.Ops;
using GpuSelfLabel.Clustering;
using GpuSelfLabel.Datasets;
using Spectre.Console;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl cluster</c>: K clusters of a feature matrix learned by self-labeling (the library's
/// <see cref="SelfLabelClustering"/>), or the k-means baseline; <c>--compare</c> runs k-means and all
/// five methods on the same data and prints them side by side.
/// </summary>
internal static class ClusterCommand
{
    private static readonly ClusteringOptions Defaults = new() { K = 2 };

    public static Command Create()
    {
        var features = new Option<FileInfo?>("--features") { Description = "N×D features (.npy float32/float64; N×H×W is flattened)" };
        var dataset = new Option<string?>("--dataset") { Description = $"A known dataset instead of --features: {string.Join(", ", DatasetCatalog.Names)}" };
        var split = new Option<string>("--split") { Description = "Dataset split: test (10,000 images) or train", DefaultValueFactory = _ => "test" };
        var datasetDir = new Option<DirectoryInfo?>("--dataset-dir") { Description = "Directory with the dataset's IDX files (default /usr/share/datasets/NAME)" };
        var labels = new Option<FileInfo?>("--labels") { Description = "True classes (.npy int32/int64, length N): report ACC/NMI/ARI" };
        var k = new Option<int?>("--k") { Description = "Number of clusters K (default for --dataset: its number of classes)" };
        var method = new Option<string>("--method") { Description = $"{string.Join("|", ClusterMethods.All)}", DefaultValueFactory = _ => "cce-em" };
        var compare = new Option<bool>("--compare") { Description = "Also run k-means and every self-labeling method on the same data and print a table" };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Write clusters.npy, the head's weights (.npy) and report.json here; {OutputSet.Rule}" };
        var overwrite = OutputSet.OverwriteOption();
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => Defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Mini-batch size", DefaultValueFactory = _ => Defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Base learning rate", DefaultValueFactory = _ => Defaults.LearningRate };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (with momentum) or adam", DefaultValueFactory = _ => "sgd" };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => Defaults.Momentum };
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay on weights", DefaultValueFactory = _ => Defaults.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "cosine, step or constant", DefaultValueFactory = _ => "cosine" };
        var hidden = new Option<int>("--hidden") { Description = "Width of a hidden ReLU layer (0: linear head)", DefaultValueFactory = _ => Defaults.Hidden };
        var lambda = new Option<double?>("--lambda") { Description = "Pseudo-label λ: EM fairness weight (cce-em, ce; default 100) or SeLa exponent (sela; default 25)" };
        var epsilon = new Option<double>("--epsilon") { Description = "SwAV Sinkhorn ε", DefaultValueFactory = _ => Defaults.Epsilon };
        var init = new Option<string>("--init") { Description = "kmeans++ (nearest-seed classifier), kmeans (nearest k-means centre) or random", DefaultValueFactory = _ => "kmeans" };
        var initTemperature = new Option<double>("--init-temperature") { Description = "Softness of the kmeans++ start, relative to the mean squared distance to the nearest seed", DefaultValueFactory = _ => Defaults.InitTemperature };
        var initRestarts = new Option<int>("--init-restarts") { Description = "k-means restarts of --init kmeans", DefaultValueFactory = _ => Defaults.InitRestarts };
        var emIterations = new Option<int>("--em-iters") { Description = "EM iterations per pseudo-label refresh at most", DefaultValueFactory = _ => Defaults.EmIterations };
        var noise = new Option<double>("--noise") { Description = "self-classifier views: Gaussian noise, × feature std", DefaultValueFactory = _ => Defaults.NoiseStd };
        var dropout = new Option<double>("--dropout") { Description = "self-classifier views: feature dropout probability", DefaultValueFactory = _ => Defaults.FeatureDropout };
        var restarts = new Option<int>("--restarts") { Description = "Heads trained from different seeds; the run whose clusters agree best with the others (highest mean NMI) is kept", DefaultValueFactory = _ => Defaults.Restarts };
        var kmeansRestarts = new Option<int>("--kmeans-restarts") { Description = "k-means restarts (kmeans and --compare)", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed of every random draw: equal seeds, equal clusters", DefaultValueFactory = _ => Defaults.Seed };
        var standardize = new Option<bool>("--standardize") { Description = "Scale every feature to mean 0, variance 1 first" };
        var normalize = new Option<bool>("--l2-normalize") { Description = "Scale every sample to unit L2 norm first (default true; --l2-normalize false for raw geometry)", DefaultValueFactory = _ => Defaults.NormalizeRows };
        var blas = new Option<string>("--blas") { Description = "auto (OpenBLAS if installed), openblas or managed", DefaultValueFactory = _ => "auto" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of the summary" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress on stderr" };
        var backend = BackendChoice.CreateOption();

        var command = new Command("cluster", "Self-labeled clustering of a feature matrix (the main job)")
        {
            features, dataset, split, datasetDir, labels, k, method, compare, output, overwrite, epochs, batch, lr, optimizer, momentum,
            weightDecay, schedule, hidden, lambda, epsilon, init, initTemperature, initRestarts, emIterations, noise, dropout, restarts, kmeansRestarts,
            seed, standardize, normalize, blas, json, quiet, backend,
        };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var display = new ClusterProgressDisplay(parse.InvocationConfiguration.Error, parse.GetValue(quiet));
            string methodName = parse.GetValue(method)!;
            if (methodName != ClusterMethods.KMeans)
            {
                ClusterMethods.Parse(methodName);
            }

            if (parse.GetValue(output) is { } target)
            {
                OutputSet.CheckTarget(target.FullName, parse.GetValue(overwrite));
            }

            var gemm = ParseBlas(parse.GetValue(blas)!);
            var device = BackendChoice.Open(parse.GetValue(backend)!);
            var input = ClusterInput.Load(parse.GetValue(features), parse.GetValue(dataset), parse.GetValue(split)!, parse.GetValue(datasetDir), parse.GetValue(labels));
            int clusters = parse.GetValue(k) ?? DefaultK(input);
            var options = new ClusteringOptions
            {
                K = clusters,
                Method = methodName == ClusterMethods.KMeans ? ClusteringMethod.CceEm : ClusterMethods.Parse(methodName),
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Optimizer = Choice(parse.GetValue(optimizer)!, "optimizer", ("sgd", OptimizerKind.Sgd), ("adam", OptimizerKind.Adam)),
                Momentum = parse.GetValue(momentum),
                WeightDecay = parse.GetValue(weightDecay),
                Schedule = Choice(parse.GetValue(schedule)!, "schedule", ("cosine", ScheduleKind.Cosine), ("step", ScheduleKind.Step), ("constant", ScheduleKind.Constant)),
                Hidden = parse.GetValue(hidden),
                Lambda = parse.GetValue(lambda),
                Epsilon = parse.GetValue(epsilon),
                Init = Choice(parse.GetValue(init)!, "init", ("kmeans++", HeadInit.KMeansPlusPlus), ("kmeans", HeadInit.KMeans), ("random", HeadInit.Random)),
                InitTemperature = parse.GetValue(initTemperature),
                InitRestarts = parse.GetValue(initRestarts),
                Standardize = parse.GetValue(standardize),
                NormalizeRows = parse.GetValue(normalize),
                EmIterations = parse.GetValue(emIterations),
                NoiseStd = parse.GetValue(noise),
                FeatureDropout = parse.GetValue(dropout),
                Restarts = parse.GetValue(restarts),
                Seed = parse.GetValue(seed),
                Blas = gemm,
            };
            // Checked here, before any run: KMeans.Fit would name its own parameter ('restarts', which is
            // another option of this command) and only when k-means runs, perhaps after a whole --compare.
            int kmeansRuns = parse.GetValue(kmeansRestarts);
            if (kmeansRuns < 1)
            {
                throw new UsageException($"argument 'kmeans-restarts': must be ≥ 1, got {kmeansRuns}");
            }

            var kmeansOptions = new KMeansOptions(clusters, kmeansRuns, Seed: options.Seed, Blas: gemm);

            var main = Run(methodName, input, options, kmeansOptions, device, display);
            List<MethodOutcome>? comparison = null;
            if (parse.GetValue(compare))
            {
                // k-means on the features as given is the reference the issue sets; k-means after the
                // same preprocessing as the self-labeling methods is shown too when that differs.
                comparison = [];
                var raw = options with { Standardize = false, NormalizeRows = false };
                comparison.Add(methodName == ClusterMethods.KMeans && main.Preprocessing == "none" ? main : Run(ClusterMethods.KMeans, input, raw, kmeansOptions, device, display));
                if (MethodOutcome.Describe(options) != "none")
                {
                    comparison.Add(methodName == ClusterMethods.KMeans ? main : Run(ClusterMethods.KMeans, input, options, kmeansOptions, device, display));
                }

                foreach (var name in ClusterMethods.SelfLabeling)
                {
                    comparison.Add(name == methodName ? main : Run(name, input, options with { Method = ClusterMethods.Parse(name), Lambda = null }, kmeansOptions, device, display));
                }
            }

            string blasPath = Gemm.Describe(gemm);
            var report = ClusterReport.Build(input, clusters, main, device.Name, blasPath, comparison);
            if (parse.GetValue(output) is { } directory)
            {
                Write(directory.FullName, parse.GetValue(overwrite), clusters, main, report);
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(ClusterReport.Compact(report));
            }
            else
            {
                Summarize(stdout, input, clusters, main, comparison, blasPath, parse.GetValue(output)?.FullName);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static MethodOutcome Run(string name, ClusterInput input, ClusteringOptions options, KMeansOptions kmeansOptions, Backends.Backend device, ClusterProgressDisplay display)
    {
        if (name == ClusterMethods.KMeans)
        {
            display.Note($"kmeans: {kmeansOptions.Restarts} k-means++ restarts on {input.Source}, preprocessing: {MethodOutcome.Describe(options)}");
            var features = options.Standardize ? input.Features.Standardize() : input.Features;
            var kmeans = KMeans.Fit(options.NormalizeRows ? features.NormalizeRows() : features, kmeansOptions);
            var scores = input.Labels is null ? null : ClusteringMetrics.Evaluate(kmeans.Clusters, input.Labels);
            return new MethodOutcome(name, kmeans.Clusters, scores, kmeans.Seconds, null, kmeans, MethodOutcome.Describe(options));
        }

        var result = display.Run(name, options.Epochs * options.Restarts, progress => SelfLabelClustering.Fit(input.Features, options, input.Labels, progress, device));
        return new MethodOutcome(name, result.Clusters, result.Scores, result.Seconds, result, null, MethodOutcome.Describe(options));
    }

    private static int DefaultK(ClusterInput input)
    {
        if (input.Labels is null)
        {
            throw new UsageException("argument 'k': is required (--k K) unless --dataset names a dataset with known classes");
        }

        return input.Labels.Distinct().Count();
    }

    private static GemmProvider ParseBlas(string name)
    {
        var provider = Choice(name, "blas", ("auto", GemmProvider.Auto), ("openblas", GemmProvider.OpenBlas), ("managed", GemmProvider.Managed));
        if (provider == GemmProvider.OpenBlas && !Gemm.IsOpenBlasAvailable)
        {
            throw new UsageException($"argument 'blas': {Gemm.Describe(GemmProvider.OpenBlas)}; install libopenblas0-pthread or use --blas managed");
        }

        return provider;
    }

    private static T Choice<T>(string value, string argument, params (string Name, T Value)[] choices)
    {
        foreach (var (name, v) in choices)
        {
            if (name == value)
            {
                return v;
            }
        }

        throw new GslArgumentException(argument, $"'{value}' is not one of {string.Join(", ", choices.Select(c => c.Name))}");
    }

    private static void Write(string directory, bool overwrite, int k, MethodOutcome main, System.Text.Json.Nodes.JsonObject report)
    {
        var outputs = new OutputSet();
        outputs.Add("clusters", NpyArray.OfIntegers(Array.ConvertAll(main.Clusters, c => (long)c), main.Clusters.Length));
        if (main.Training?.Head is { } head)
        {
            outputs.Add("output_weight", NpyArray.OfFloats(head.OutputWeight, head.HiddenSize > 0 ? head.HiddenSize : head.InputSize, head.Classes));
            outputs.Add("output_bias", NpyArray.OfFloats(head.OutputBias, head.Classes));
            if (head.HiddenSize > 0)
            {
                outputs.Add("hidden_weight", NpyArray.OfFloats(head.HiddenWeight!, head.InputSize, head.HiddenSize));
                outputs.Add("hidden_bias", NpyArray.OfFloats(head.HiddenBias!, head.HiddenSize));
            }
        }

        if (main.KMeans is { } kmeans)
        {
            outputs.Add("centres", NpyArray.OfFloats(kmeans.Centres, k, kmeans.Centres.Length / k));
        }

        outputs.AddText("report.json", ClusterReport.Indented(report));
        outputs.Commit(directory, overwrite);
    }

    private static void Summarize(TextWriter stdout, ClusterInput input, int k, MethodOutcome main, IReadOnlyList<MethodOutcome>? comparison, string blasPath, string? directory)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.Detect,
        });
        var table = new Table().AddColumns("method", "features", "ACC", "NMI", "ARI", "seconds");
        foreach (var row in comparison ?? [main])
        {
            table.AddRow(
                row.Method,
                row.Preprocessing,
                Format(row.Scores?.Accuracy),
                Format(row.Scores?.Nmi),
                Format(row.Scores?.Ari),
                row.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        stdout.WriteLine($"{input.Source}, K = {k}, BLAS: {blasPath}");
        console.Write(table);
        if (directory is not null)
        {
            stdout.WriteLine($"wrote clusters.npy, report.json{(main.Training is null ? ", centres.npy" : ", head weights")} to {directory}");
        }
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
