using GpuSelfLabel.Clustering;

namespace GpuSelfLabel.Tests.Clustering;

public sealed class SelfLabelClusteringTests
{
    private const int N = 400;
    private const int D = 8;
    private const int K = 4;

    public static TheoryData<ClusteringMethod> Methods() => new()
    {
        ClusteringMethod.CceEm, ClusteringMethod.Ce, ClusteringMethod.Sela, ClusteringMethod.Swav, ClusteringMethod.SelfClassifier,
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_method_finds_well_separated_blobs(ClusteringMethod method)
    {
        var (values, labels) = Blobs.Make(N, D, K, seed: 3);
        var features = FeatureMatrix.Create(values, N, D);
        var reports = new List<EpochReport>();
        var result = SelfLabelClustering.Fit(features, Options(method), labels, new Collect(reports));
        Assert.True(result.Scores!.Accuracy > 0.9, $"{method}: ACC {result.Scores.Accuracy}");
        Assert.Equal(N, result.Clusters.Length);
        Assert.All(result.Clusters, c => Assert.InRange(c, 0, K - 1));
        Assert.Equal(result.History.Count, reports.Count);
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss)));
        Assert.Equal(result.Clusters, result.Head.Predict(features));
    }

    [Fact]
    public void A_hidden_layer_with_adam_and_a_step_schedule_also_trains()
    {
        var (values, labels) = Blobs.Make(N, D, K, seed: 5);
        var options = Options(ClusteringMethod.CceEm) with { Hidden = 16, Optimizer = OptimizerKind.Adam, LearningRate = 0.01, Schedule = ScheduleKind.Step, Init = HeadInit.KMeansPlusPlus };
        var result = SelfLabelClustering.Fit(FeatureMatrix.Create(values, N, D), options, labels);
        Assert.True(result.Scores!.Accuracy > 0.9, $"ACC {result.Scores.Accuracy}");
        Assert.Equal(D * 16, result.Head.HiddenWeight!.Length);
        Assert.Equal(16 * K, result.Head.OutputWeight.Length);
    }

    [Fact]
    public void Equal_seeds_give_equal_clusters()
    {
        var (values, _) = Blobs.Make(N, D, K, seed: 7, separation: 2);
        var features = FeatureMatrix.Create(values, N, D);
        var options = Options(ClusteringMethod.CceEm) with { Restarts = 2, Seed = 11 };
        var first = SelfLabelClustering.Fit(features, options);
        var second = SelfLabelClustering.Fit(features, options);
        Assert.Equal(first.Clusters, second.Clusters);
        Assert.Equal(first.Head.OutputWeight, second.Head.OutputWeight);
        var managed = SelfLabelClustering.Fit(features, options with { Blas = GemmProvider.Managed });
        Assert.Equal(managed.Clusters, SelfLabelClustering.Fit(features, options with { Blas = GemmProvider.Managed }).Clusters);
    }

    [Fact]
    public void Bad_options_and_labels_name_the_argument()
    {
        var (values, labels) = Blobs.Make(20, 3, 2, seed: 1);
        var features = FeatureMatrix.Create(values, 20, 3);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 1 })).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 21 })).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2 }, labels[..19])).Argument);
        labels[4] = -1;
        var negative = Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2 }, labels));
        Assert.Equal(("labels", 4L), (negative.Argument, negative.Row));
        Assert.Equal("lr", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2, LearningRate = 0 })).Argument);
        Assert.Equal("epochs", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2, Epochs = 0 })).Argument);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2, Lambda = -1 })).Argument);
        Assert.Equal("momentum", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, new ClusteringOptions { K = 2, Momentum = 1 })).Argument);
    }

    [Fact]
    public void Non_finite_features_are_rejected_with_their_row()
    {
        var values = new float[12];
        values[7] = float.NaN;
        var e = Assert.Throws<GslArgumentException>(() => FeatureMatrix.Create(values, 4, 3));
        Assert.Equal(("features", 2L), (e.Argument, e.Row));
        Assert.Equal("features", Assert.Throws<GslArgumentException>(() => FeatureMatrix.Create(new float[5], 2, 3)).Argument);
    }

    [Fact]
    public void Features_too_long_for_float32_distances_name_their_row_unless_normalised()
    {
        // Finite features near 1e20 gave k-means a NaN inertia and the head NaN logits (named 'logits').
        var values = new float[20 * 3];
        for (int x = 0; x < values.Length; x++)
        {
            values[x] = (x % 7) - 3;
        }

        values[(5 * 3) + 1] = 1e20f;
        var features = FeatureMatrix.Create(values, 20, 3);
        var kmeans = Assert.Throws<GslArgumentException>(() => KMeans.Fit(features, new KMeansOptions(3)));
        Assert.Equal(("features", 5L), (kmeans.Argument, kmeans.Row));
        var raw = new ClusteringOptions { K = 3, Epochs = 1, NormalizeRows = false };
        var head = Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, raw));
        Assert.Equal(("features", 5L), (head.Argument, head.Row));

        // L2-normalised rows are in range whatever their length was.
        var result = SelfLabelClustering.Fit(features, raw with { NormalizeRows = true });
        Assert.Equal(20, result.Clusters.Length);

        // A head whose first weights (centre / temperature) overflow names the temperature, not 'logits'.
        var tiny = Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, raw with { NormalizeRows = true, InitTemperature = 1e-300 }));
        Assert.Equal("init-temperature", tiny.Argument);

        // A hidden layer no array can hold is named, not an OverflowException.
        Assert.Equal("hidden", Assert.Throws<GslArgumentException>(() => SelfLabelClustering.Fit(features, raw with { NormalizeRows = true, Hidden = int.MaxValue })).Argument);
    }

    [Fact]
    public void Standardize_and_normalize_rows_transform_as_documented()
    {
        var features = FeatureMatrix.Create([1, 5, 3, 5, 5, 5], 3, 2);
        var standard = features.Standardize();
        Assert.Equal(0, standard.Values[0] + standard.Values[2] + standard.Values[4], 5);
        Assert.Equal(3, (standard.Values[0] * standard.Values[0]) + (standard.Values[2] * standard.Values[2]) + (standard.Values[4] * standard.Values[4]), 4);
        Assert.Equal(0f, standard.Values[1]);
        var unit = FeatureMatrix.Create([3, 4, 0, 0], 2, 2).NormalizeRows();
        Assert.Equal([0.6f, 0.8f, 0f, 0f], unit.Values);
    }

    [Fact]
    public void Kmeans_finds_the_blobs_and_repeats_with_its_seed()
    {
        var (values, labels) = Blobs.Make(N, D, K, seed: 9);
        var features = FeatureMatrix.Create(values, N, D);
        var result = KMeans.Fit(features, new KMeansOptions(K, Restarts: 3, Seed: 2));
        Assert.Equal(1.0, ClusteringMetrics.Accuracy(result.Clusters, labels));
        Assert.Equal(result.Clusters, KMeans.Fit(features, new KMeansOptions(K, Restarts: 3, Seed: 2)).Clusters);
        Assert.Equal(K * D, result.Centres.Length);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => KMeans.Fit(features, new KMeansOptions(N + 1))).Argument);
    }

    private static ClusteringOptions Options(ClusteringMethod method) => new() { K = K, Method = method, Epochs = 8, BatchSize = 64, Restarts = 1 };

    private sealed class Collect(List<EpochReport> reports) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => reports.Add(value);
    }
}
