using System.Text.Json;
using System.Text.Json.Nodes;
using GpuSelfLabel.Clustering;

namespace GpuSelfLabel.Cli.Cluster;

/// <summary>
/// The JSON object of <c>gsl cluster</c> (printed by <c>--json</c>, written as report.json): the
/// method, K, N, D, ACC/NMI/ARI (null without labels), seconds, the BLAS path, cluster sizes, the
/// options, per-epoch history, and with <c>--compare</c> one row per method.
/// </summary>
internal static class ClusterReport
{
    public static JsonObject Build(ClusterInput input, int k, MethodOutcome main, string backend, string blas, IReadOnlyList<MethodOutcome>? comparison)
    {
        var report = new JsonObject
        {
            ["method"] = main.Method,
            ["preprocessing"] = main.Preprocessing,
            ["k"] = k,
            ["n"] = input.Features.Rows,
            ["d"] = input.Features.Columns,
            ["acc"] = main.Scores?.Accuracy,
            ["nmi"] = main.Scores?.Nmi,
            ["ari"] = main.Scores?.Ari,
            ["seconds"] = main.Seconds,
            ["load_seconds"] = input.Seconds,
            ["source"] = input.Source,
            ["backend"] = backend,
            ["blas"] = blas,
            ["cluster_sizes"] = new JsonArray(main.Sizes(k).Select(s => (JsonNode?)s).ToArray()),
        };
        if (main.Training is { } training)
        {
            report["objective"] = training.Objective;
            report["restart"] = training.Restart;
            report["options"] = Options(training.Options);
            report["history"] = new JsonArray(training.History.Select(Epoch).ToArray());
        }

        if (main.KMeans is { } kmeans)
        {
            report["inertia"] = kmeans.Inertia;
            report["iterations"] = kmeans.Iterations;
        }

        if (comparison is not null)
        {
            report["comparison"] = new JsonArray(comparison.Select(o => (JsonNode?)new JsonObject
            {
                ["method"] = o.Method,
                ["preprocessing"] = o.Preprocessing,
                ["acc"] = o.Scores?.Accuracy,
                ["nmi"] = o.Scores?.Nmi,
                ["ari"] = o.Scores?.Ari,
                ["seconds"] = o.Seconds,
            }).ToArray());
        }

        return report;
    }

    public static string Compact(JsonObject report) => report.ToJsonString();

    public static string Indented(JsonObject report) => report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static JsonObject Options(ClusteringOptions o) => new()
    {
        ["epochs"] = o.Epochs,
        ["batch_size"] = o.BatchSize,
        ["lr"] = o.LearningRate,
        ["optimizer"] = o.Optimizer.ToString().ToLowerInvariant(),
        ["momentum"] = o.Momentum,
        ["weight_decay"] = o.WeightDecay,
        ["schedule"] = o.Schedule.ToString().ToLowerInvariant(),
        ["hidden"] = o.Hidden,
        ["lambda"] = o.EffectiveLambda,
        ["epsilon"] = o.Epsilon,
        ["init"] = o.Init switch { HeadInit.KMeansPlusPlus => "kmeans++", HeadInit.KMeans => "kmeans", _ => "random" },
        ["init_restarts"] = o.InitRestarts,
        ["init_temperature"] = o.InitTemperature,
        ["standardize"] = o.Standardize,
        ["l2_normalize"] = o.NormalizeRows,
        ["em_iters"] = o.EmIterations,
        ["noise"] = o.NoiseStd,
        ["dropout"] = o.FeatureDropout,
        ["restarts"] = o.Restarts,
        ["seed"] = o.Seed,
    };

    private static JsonNode? Epoch(EpochReport r) => new JsonObject
    {
        ["epoch"] = r.Epoch,
        ["loss"] = double.IsFinite(r.Loss) ? r.Loss : null,
        ["lr"] = r.LearningRate,
        ["acc"] = r.Scores?.Accuracy,
        ["nmi"] = r.Scores?.Nmi,
        ["ari"] = r.Scores?.Ari,
        ["clusters_used"] = r.ClustersUsed,
        ["seconds"] = r.Seconds,
    };
}
