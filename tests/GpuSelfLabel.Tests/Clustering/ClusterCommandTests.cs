using System.Text.Json;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Clustering;

public sealed class ClusterCommandTests
{
    private const int N = 200;
    private const int D = 6;
    private const int K = 3;

    [Fact]
    public void Json_prints_one_object_with_the_metrics_and_out_writes_every_file()
    {
        using var gsl = new GslRunner();
        var (features, labels) = Inputs(gsl);
        Assert.Equal(0, gsl.Run("cluster", "--features", features, "--labels", labels, "--k", "3", "--epochs", "5", "--json", "--out", gsl.OutDir, "--backend", "cpu"));
        using var json = JsonDocument.Parse(gsl.Stdout);
        var root = json.RootElement;
        foreach (var key in new[] { "acc", "nmi", "ari", "seconds", "method", "k", "blas", "history", "cluster_sizes" })
        {
            Assert.True(root.TryGetProperty(key, out _), $"missing '{key}' in {gsl.Stdout}");
        }

        Assert.Equal("cce-em", root.GetProperty("method").GetString());
        Assert.Equal(K, root.GetProperty("k").GetInt32());
        Assert.True(root.GetProperty("acc").GetDouble() > 0.9);
        var clusters = gsl.Output("clusters");
        Assert.True(clusters.IsInteger);
        Assert.Equal([(long)N], clusters.Shape);
        Assert.Equal([(long)D, K], gsl.Output("output_weight").Shape);
        Assert.Equal([(long)K], gsl.Output("output_bias").Shape);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(gsl.OutDir, "report.json")));
        Assert.Equal(root.GetProperty("acc").GetDouble(), report.RootElement.GetProperty("acc").GetDouble());
    }

    [Fact]
    public void Equal_seeds_give_equal_cluster_files()
    {
        using var gsl = new GslRunner();
        var (features, _) = Inputs(gsl, separation: 2);
        var runs = new List<long[]>();
        foreach (var folder in new[] { "a", "b" })
        {
            string directory = Path.Combine(gsl.Directory, folder);
            Assert.Equal(0, gsl.Run("cluster", "--features", features, "--k", "3", "--epochs", "3", "--seed", "5", "--quiet", "--out", directory));
            runs.Add(GpuSelfLabel.Cli.Npy.NpyReader.Read(Path.Combine(directory, "clusters.npy")).Integers!);
        }

        Assert.Equal(runs[0], runs[1]);
    }

    [Theory]
    [InlineData("1", "'k'")]
    [InlineData("201", "'k'")]
    public void K_out_of_range_is_exit_2_naming_k(string k, string named)
    {
        using var gsl = new GslRunner();
        var (features, _) = Inputs(gsl);
        Assert.Equal(2, gsl.Run("cluster", "--features", features, "--k", k, "--out", gsl.OutDir));
        Assert.Contains(named, gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));
    }

    [Fact]
    public void Kmeans_restarts_below_1_are_refused_by_their_own_name_before_any_run()
    {
        // KMeans.Fit names its parameter 'restarts', which is another option of gsl cluster, and
        // --compare reached it only after a whole self-labelling run.
        using var gsl = new GslRunner();
        var (features, _) = Inputs(gsl);
        foreach (var extra in (string[][])[["--method", "kmeans"], ["--compare"]])
        {
            Assert.Equal(2, gsl.Run(["cluster", "--features", features, "--k", "3", "--kmeans-restarts", "0", "--backend", "cpu", .. extra]));
            Assert.Equal("gsl: argument 'kmeans-restarts': must be ≥ 1, got 0", gsl.Stderr.Trim());
        }
    }

    [Fact]
    public void Bad_inputs_are_exit_2_naming_the_argument_and_row()
    {
        using var gsl = new GslRunner();
        var (values, labels) = Blobs.Make(N, D, K, seed: 1);
        values[(17 * D) + 2] = float.NaN;
        string nan = gsl.Input("nan", values, N, D);
        Assert.Equal(2, gsl.Run("cluster", "--features", nan, "--k", "3"));
        Assert.Contains("argument 'features', row 17", gsl.Stderr, StringComparison.Ordinal);

        var (features, _) = Inputs(gsl);
        string shortLabels = gsl.Input("short", Array.ConvertAll(labels[..(N - 1)], l => (long)l), N - 1);
        Assert.Equal(2, gsl.Run("cluster", "--features", features, "--labels", shortLabels, "--k", "3"));
        Assert.Contains("argument 'labels'", gsl.Stderr, StringComparison.Ordinal);

        string vector = gsl.Input("vector", new float[N], N);
        Assert.Equal(2, gsl.Run("cluster", "--features", vector, "--k", "3"));
        Assert.Contains("argument 'features'", gsl.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, gsl.Run("cluster", "--features", features));
        Assert.Contains("argument 'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("cluster", "--k", "3"));
        Assert.Contains("argument 'features'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("cluster", "--features", features, "--k", "3", "--method", "dbscan"));
        Assert.Contains("argument 'method'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("cluster", "--features", features, "--k", "3", "--optimizer", "rmsprop"));
        Assert.Contains("argument 'optimizer'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("cluster", "--dataset", "fashion-mnist", "--dataset-dir", Path.Combine(gsl.Directory, "none")));
        Assert.Contains("argument 'dataset'", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_from_idx_files_runs_with_k_from_its_classes_and_compare_prints_every_method()
    {
        using var gsl = new GslRunner();
        var (values, labels) = Blobs.Make(90, 4, 3, seed: 2, separation: 6);
        var pixels = Array.ConvertAll(values, v => (byte)Math.Clamp((v * 8) + 128, 0, 255));
        string folder = Path.Combine(gsl.Directory, "fashion");
        IdxFiles.WriteDataset(folder, pixels, 90, 2, 2, Array.ConvertAll(labels, l => (byte)l), gzip: true);
        Assert.Equal(0, gsl.Run("cluster", "--dataset", "fashion-mnist", "--dataset-dir", folder, "--epochs", "4", "--batch-size", "30", "--compare", "--kmeans-restarts", "2", "--json", "--quiet"));
        using var json = JsonDocument.Parse(gsl.Stdout);
        Assert.Equal(3, json.RootElement.GetProperty("k").GetInt32());
        var methods = json.RootElement.GetProperty("comparison").EnumerateArray().Select(e => e.GetProperty("method").GetString()).ToList();
        Assert.Equal(["kmeans", "kmeans", "cce-em", "ce", "sela", "swav", "self-classifier"], methods);
        var preprocessing = json.RootElement.GetProperty("comparison").EnumerateArray().Select(e => e.GetProperty("preprocessing").GetString()).ToList();
        Assert.Equal(["none", "l2-normalize", "l2-normalize", "l2-normalize", "l2-normalize", "l2-normalize", "l2-normalize"], preprocessing);

        Assert.Equal(0, gsl.Run("cluster", "--dataset", "fashion-mnist", "--dataset-dir", folder, "--method", "kmeans", "--kmeans-restarts", "2", "--out", gsl.OutDir));
        Assert.Contains("kmeans", gsl.Stdout, StringComparison.Ordinal);
        Assert.Equal([3L, 4L], gsl.Output("centres").Shape);
    }

    private static (string Features, string Labels) Inputs(GslRunner gsl, double separation = 12)
    {
        var (values, labels) = Blobs.Make(N, D, K, seed: 1, separation);
        return (gsl.Input("features", values, N, D), gsl.Input("labels", Array.ConvertAll(labels, l => (long)l), N));
    }
}
