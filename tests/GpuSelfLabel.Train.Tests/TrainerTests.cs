using System.Text.Json;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Train.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly SyntheticImages images = new();

    public TrainerTests() => GpuSelfLabel.TorchSharp.TorchSharpLoader.EnsureLoaded();

    public void Dispose() => images.Dispose();

    private TrainOptions Options(string method = "cce-em", string network = "mlp", int epochs = 1, int seed = 7, int neighbours = 0, int heads = 1) =>
        TrainOptions.Parse(["--images", images.ImagesPath, "--labels", images.LabelsPath, "--k", "4", "--method", method, "--network", network,
            "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--batch-size", "128", "--threads", "1", "--quiet", "--neighbours", neighbours.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--heads", heads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    private static TrainResult Train(TrainOptions o) => Trainer.Run(o, TrainData.Load(o), null, null, CancellationToken.None);

    [Fact]
    public void Equal_seeds_give_equal_clusters_and_another_seed_another_network()
    {
        var first = Train(Options(seed: 7));
        var second = Train(Options(seed: 7));
        Assert.Equal(first.Clusters, second.Clusters);
        Assert.Equal(first.EpochLosses, second.EpochLosses);
        var other = Train(Options(seed: 8));
        Assert.NotEqual(first.EpochLosses, other.EpochLosses);
    }

    [Fact]
    public void The_loss_decreases_and_the_clusters_find_the_classes_on_separable_images()
    {
        var result = Train(Options(epochs: 6));
        Assert.True(result.EpochLosses[^1] < result.EpochLosses[0] - 0.05, $"losses {string.Join(", ", result.EpochLosses)}");
        Assert.NotNull(result.Scores);
        Assert.True(result.Scores!.Accuracy > 0.9, $"ACC {result.Scores.Accuracy}");
    }

    [Fact]
    public void Several_heads_train_together_and_the_one_with_the_lowest_loss_gives_the_clusters()
    {
        var result = Train(Options(method: "swav", epochs: 2, heads: 3));
        Assert.Equal(3, result.HeadLosses.Count);
        Assert.All(result.HeadLosses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(Array.IndexOf(result.HeadLosses.ToArray(), result.HeadLosses.Min()), result.Network.Head);

        // The heads start apart, and the clusters and scores are the chosen head's own.
        Assert.NotNull(result.HeadScores);
        Assert.Equal(3, result.HeadScores!.Count);
        Assert.Equal(result.Scores!.Accuracy, result.HeadScores[result.Network.Head].Accuracy);
        Assert.Equal(3, result.HeadLosses.Distinct().Count());
        var again = Train(Options(method: "swav", epochs: 2, heads: 3));
        Assert.Equal(result.Clusters, again.Clusters);
        Assert.Equal(result.Network.Head, again.Network.Head);
    }

    [Fact]
    public void Neighbours_are_other_images_of_the_same_class_on_separable_images()
    {
        var data = TrainData.Load(Options());
        using var x = global::TorchSharp.torch.tensor(data.Train, [data.TrainRows, 1, SyntheticImages.Side, SyntheticImages.Side]);
        using var found = Neighbours.Find(x, 5);
        Assert.Equal([(long)images.Rows, 5L], found.shape);
        var index = found.data<long>().ToArray();
        for (int i = 0; i < images.Rows; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                long other = index[i * 5 + j];
                Assert.NotEqual(i, other);
                Assert.Equal(images.Labels[i], images.Labels[other]);
            }
        }
    }

    [Theory]
    [InlineData("swav", "mlp", 5)]
    [InlineData("cce-em", "convnet", 5)]
    public void Training_with_neighbour_views_is_deterministic_too(string method, string network, int neighbours)
    {
        var first = Train(Options(method, network, neighbours: neighbours));
        var second = Train(Options(method, network, neighbours: neighbours));
        Assert.Equal(first.Clusters, second.Clusters);
        Assert.All(first.EpochLosses, l => Assert.True(double.IsFinite(l)));
    }

    [Theory]
    [InlineData("cce-em", "mlp")]
    [InlineData("ce", "mlp")]
    [InlineData("sela", "mlp")]
    [InlineData("swav", "mlp")]
    [InlineData("self-classifier", "mlp")]
    [InlineData("cce-em", "convnet")]
    public void Every_method_and_network_trains_an_epoch_to_finite_losses_and_k_cluster_ids(string method, string network)
    {
        var result = Train(Options(method, network));
        Assert.All(result.EpochLosses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(images.Rows, result.Clusters.Length);
        Assert.All(result.Clusters, c => Assert.InRange(c, 0, 3));
    }

    [Fact]
    public void Out_holds_the_weights_the_clusters_and_the_report_and_json_is_the_only_stdout()
    {
        string outDir = Path.Combine(images.Folder, "run");
        var (code, stdout, stderr) = Cli.Run("--images", images.ImagesPath, "--labels", images.LabelsPath, "--k", "4", "--method", "cce-em", "--epochs", "1", "--threads", "1", "--batch-size", "128", "--out", outDir, "--json");
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(stdout);
        foreach (var field in new[] { "acc", "nmi", "ari", "seconds", "method", "network", "epochs" })
        {
            Assert.True(summary.RootElement.TryGetProperty(field, out _), field);
        }

        Assert.Equal(["clusters.npy", "model.dat", "report.json"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var clusters = NpyReader.Read(Path.Combine(outDir, "clusters.npy"));
        Assert.True(clusters.IsInteger);
        Assert.Equal([(long)images.Rows], clusters.Shape);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(summary.RootElement.GetProperty("acc").GetDouble(), report.RootElement.GetProperty("acc").GetDouble());
        Assert.True(new FileInfo(Path.Combine(outDir, "model.dat")).Length > 1000);
        Assert.DoesNotContain(Directory.GetDirectories(images.Folder), d => Path.GetFileName(d).Contains("staging", StringComparison.Ordinal));

        // The weights load back into the same network and give the same clusters.
        var o = Options();
        var data = TrainData.Load(o);
        var net = new ClusterNet("mlp", data.Shape, 4, cosine: false, headCount: report.RootElement.GetProperty("heads").GetInt32());
        net.load(Path.Combine(outDir, "model.dat"));
        net.Head = report.RootElement.GetProperty("head").GetInt32();
        using var x = global::TorchSharp.torch.tensor(data.Scored, [data.ScoredRows, 1, SyntheticImages.Side, SyntheticImages.Side]);
        Assert.Equal(clusters.Integers!.Select(v => (int)v), Trainer.Predict(net, x));
    }

    [Fact]
    public void A_cancelled_run_writes_nothing()
    {
        string outDir = Path.Combine(images.Folder, "cancelled");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        int code = TrainApp.Run(["--images", images.ImagesPath, "--k", "4", "--epochs", "1", "--out", outDir, "--quiet"], stdout, stderr, cancel.Token);
        Assert.Equal(130, code);
        Assert.False(Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(images.Folder), d => Path.GetFileName(d).Contains("staging", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--k", "1")]
    [InlineData("--epochs", "0")]
    [InlineData("--method", "kmeans")]
    [InlineData("--network", "resnet")]
    [InlineData("--heads", "0")]
    [InlineData("--heads", "101")]
    [InlineData("--threads", "100000")]
    [InlineData("--limit", "1")]
    [InlineData("--k", "100000")]
    [InlineData("--backend", "tpu")]
    public void Bad_options_exit_2_naming_the_argument(string option, string value)
    {
        var (code, stdout, stderr) = Cli.Run("--images", images.ImagesPath, option, value);
        Assert.Equal(2, code);
        Assert.Contains(option, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
    }

    [Fact]
    public void Labels_of_the_wrong_length_exit_2_naming_labels()
    {
        string shortLabels = images.Write("short.npy", NpyArray.OfIntegers([.. images.Labels.Take(10)], 10));
        string outDir = Path.Combine(images.Folder, "never");
        var (code, _, stderr) = Cli.Run("--images", images.ImagesPath, "--labels", shortLabels, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains("--labels", stderr, StringComparison.Ordinal);
        Assert.Contains("10 labels", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_non_finite_pixel_exits_2_naming_images_and_the_row()
    {
        var pixels = (float[])images.Pixels.Clone();
        pixels[(3 * SyntheticImages.Side * SyntheticImages.Side) + 17] = float.NaN;
        string bad = images.Write("nan.npy", NpyArray.OfFloats(pixels, images.Rows, SyntheticImages.Side, SyntheticImages.Side));
        var (code, _, stderr) = Cli.Run("--images", bad, "--k", "4");
        Assert.Equal(2, code);
        Assert.Contains("--images", stderr, StringComparison.Ordinal);
        Assert.Contains("row 3", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_that_cannot_take_the_outputs_exits_2_naming_out_before_any_work_and_creates_nothing()
    {
        string file = images.Write("plain.npy", NpyArray.OfIntegers([1, 2], 2));
        foreach (var outDir in new[] { Path.Combine(file, "sub", "run"), "/proc/gsl-train-run" })
        {
            var (code, stdout, stderr) = Cli.Run("--images", images.ImagesPath, "--k", "4", "--epochs", "1", "--quiet", "--out", outDir);
            Assert.Equal(2, code);
            Assert.StartsWith("gsl-train: --out:", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Equal(string.Empty, stdout);
        }

        // Bad input with a new nested --out: no directory is made before the input is read.
        var pixels = (float[])images.Pixels.Clone();
        pixels[5] = float.PositiveInfinity;
        string bad = images.Write("inf.npy", NpyArray.OfFloats(pixels, images.Rows, SyntheticImages.Side, SyntheticImages.Side));
        string nested = Path.Combine(images.Folder, "new-parent", "deeper", "run");
        Assert.Equal(2, Cli.Run("--images", bad, "--k", "4", "--out", nested).Code);
        Assert.False(Directory.Exists(Path.Combine(images.Folder, "new-parent")));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("opencl")]
    public void A_backend_libtorch_cpu_tensors_cannot_use_exits_1_in_one_line(string backend)
    {
        var (code, stdout, stderr) = Cli.Run("--images", images.ImagesPath, "--k", "4", "--backend", backend);
        Assert.Equal(1, code);
        Assert.Contains($"--backend {backend}", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal(string.Empty, stdout);
    }

    [Fact]
    public void A_convnet_on_images_smaller_than_4_pixels_exits_2_naming_network()
    {
        var tiny = new float[images.Rows * 9];
        for (int i = 0; i < tiny.Length; i++)
        {
            tiny[i] = (i * 37 % 11) / 11f;
        }

        string path = images.Write("tiny.npy", NpyArray.OfFloats(tiny, images.Rows, 3, 3));
        var (code, _, stderr) = Cli.Run("--images", path, "--k", "4", "--network", "convnet", "--epochs", "1", "--heads", "1");
        Assert.Equal(2, code);
        Assert.Contains("--network", stderr, StringComparison.Ordinal);
        Assert.Contains("4×4", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_convnet_on_flat_rows_exits_2_naming_network()
    {
        string flat = images.Write("flat.npy", NpyArray.OfFloats(images.Pixels, images.Rows, SyntheticImages.Side * SyntheticImages.Side));
        var (code, _, stderr) = Cli.Run("--images", flat, "--network", "convnet");
        Assert.Equal(2, code);
        Assert.Contains("--network", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_one_epoch_smoke_run_on_a_fashion_mnist_subset_scores_the_held_out_train_images()
    {
        Skip.IfNot(Directory.Exists("/usr/share/datasets/fashion-mnist") || Environment.GetEnvironmentVariable("GSL_DATASETS") is not null, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var (code, stdout, stderr) = Cli.Run("--dataset", "fashion-mnist", "--limit", "2048", "--holdout", "2000", "--epochs", "1", "--json");
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(stdout);
        Assert.InRange(summary.RootElement.GetProperty("acc").GetDouble(), 0.15, 1.0);
    }
}
