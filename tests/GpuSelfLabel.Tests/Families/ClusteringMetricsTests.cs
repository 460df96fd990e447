using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §9: ACC, NMI and ARI on host label vectors; no backend is involved.</summary>
public sealed class ClusteringMetricsTests
{
    private const double Tight = 1e-12;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(257, 10)]
    [InlineData(5000, 100)]
    public void Perfect_clustering_under_a_permutation_scores_one(int n, int k)
    {
        var random = new Random(n + k);
        var truth = Uniform(random, n, k);
        var renaming = Enumerable.Range(0, k).OrderBy(_ => random.Next()).ToArray();
        var predicted = truth.Select(c => renaming[c]).ToArray();

        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.Equal(1.0, scores.Accuracy);
        Assert.Equal(1.0, scores.Nmi, Tight);
        Assert.Equal(1.0, scores.Ari, Tight);
        foreach (var c in truth.Distinct())
        {
            Assert.Equal(c, scores.ClusterToClass[renaming[c]]);
        }
    }

    [Fact]
    public void Three_by_three_table_matches_hand_computation()
    {
        // Rows are clusters, columns classes:
        //   5 1 0 | 6
        //   1 4 2 | 7
        //   0 1 3 | 4
        //   -----
        //   6 6 5   N = 17
        int[,] table = { { 5, 1, 0 }, { 1, 4, 2 }, { 0, 1, 3 } };
        var (predicted, truth) = FromTable(table, seed: 3);

        // The diagonal (5 + 4 + 3) beats every other permutation (at most 8).
        double accuracy = 12.0 / 17;

        // Σ C(n_rc, 2) = 10 + 6 + 1 + 3 = 20; Σ C(a_r, 2) = 15 + 21 + 6 = 42; Σ C(b_c, 2) = 15 + 15 + 10 = 40;
        // C(17, 2) = 136. ARI = (20 − 42·40/136) / (41 − 42·40/136) = (2720 − 1680) / (5576 − 1680).
        double ari = 1040.0 / 3896.0;

        // I = Σ (n_rc/N) ln(n_rc N / (a_r b_c)); H = −Σ (a/N) ln(a/N).
        double mutual = ((5 * Math.Log(85.0 / 36)) + Math.Log(17.0 / 36) + Math.Log(17.0 / 42) + (4 * Math.Log(68.0 / 42))
            + (2 * Math.Log(34.0 / 35)) + Math.Log(17.0 / 24) + (3 * Math.Log(51.0 / 20))) / 17;
        double hClusters = -((6.0 / 17 * Math.Log(6.0 / 17)) + (7.0 / 17 * Math.Log(7.0 / 17)) + (4.0 / 17 * Math.Log(4.0 / 17)));
        double hClasses = -((2 * 6.0 / 17 * Math.Log(6.0 / 17)) + (5.0 / 17 * Math.Log(5.0 / 17)));
        double nmi = mutual / ((hClusters + hClasses) / 2);
        Assert.Equal(0.3783499278720409, nmi, 1e-13);

        var scores = ClusteringMetrics.Evaluate(predicted, truth);
        Assert.Equal(accuracy, scores.Accuracy, Tight);
        Assert.Equal(nmi, scores.Nmi, Tight);
        Assert.Equal(ari, scores.Ari, Tight);
        Assert.Equal(new[] { 0, 1, 2 }, scores.ClusterToClass);
        Assert.Equal(accuracy, ClusteringMetrics.Accuracy(predicted, truth), Tight);
        Assert.Equal(nmi, ClusteringMetrics.NormalizedMutualInformation(predicted, truth), Tight);
        Assert.Equal(ari, ClusteringMetrics.AdjustedRandIndex(predicted, truth), Tight);
    }

    [Fact]
    public void Classic_six_sample_example_matches_hand_computation()
    {
        int[] predicted = [0, 0, 1, 1, 2, 2];
        int[] truth = [0, 0, 0, 1, 1, 1];

        // Table rows (2, 0), (1, 1), (0, 2). Σ C(n_rc, 2) = 2, Σ C(a_r, 2) = 3, Σ C(b_c, 2) = 6,
        // C(6, 2) = 15: ARI = (2 − 18/15) / (4.5 − 18/15) = 0.8 / 3.3 = 8/33.
        // I = 2 · (2/6) ln((2/6) / ((2/6)(3/6))) = (2/3) ln 2, H(pred) = ln 3, H(truth) = ln 2.
        // Clusters 0 and 2 take the classes; cluster 1 is left over, so 2 + 2 of 6 are right.
        var scores = ClusteringMetrics.Evaluate(predicted, truth);
        Assert.Equal(8.0 / 33, scores.Ari, Tight);
        Assert.Equal(4.0 / 3 * Math.Log(2) / Math.Log(6), scores.Nmi, Tight);
        Assert.Equal(0.5158037429793888, scores.Nmi, 1e-13);
        Assert.Equal(4.0 / 6, scores.Accuracy, Tight);
        Assert.Equal(new[] { 0, -1, 1 }, scores.ClusterToClass);
    }

    [Fact]
    public void Independent_random_labelings_score_near_zero()
    {
        var random = new Random(20000);
        var predicted = Uniform(random, 20000, 10);
        var truth = Uniform(random, 20000, 10);

        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.True(Math.Abs(scores.Ari) < 0.01, $"ARI {scores.Ari}");
        Assert.InRange(scores.Nmi, 0.0, 0.01);
        Assert.InRange(scores.Accuracy, 0.1, 0.13);
    }

    [Fact]
    public void More_clusters_than_classes_leave_clusters_unmatched()
    {
        int[] predicted = [0, 0, 1, 2, 2, 3];
        int[] truth = [0, 0, 0, 1, 1, 1];

        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.Equal(4.0 / 6, scores.Accuracy, Tight);
        Assert.Equal(new[] { 0, -1, 1, -1 }, scores.ClusterToClass);
        Assert.Equal(ClusteringReference.Ari(predicted, truth), scores.Ari, Tight);
        Assert.Equal(ClusteringReference.Nmi(predicted, truth), scores.Nmi, Tight);
    }

    [Fact]
    public void Fewer_clusters_than_classes_leave_classes_unmatched()
    {
        int[] predicted = [0, 0, 0, 0, 1, 1];
        int[] truth = [0, 0, 1, 2, 2, 2];

        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.Equal(4.0 / 6, scores.Accuracy, Tight);
        Assert.Equal(new[] { 0, 2 }, scores.ClusterToClass);
        Assert.Equal(ClusteringReference.Ari(predicted, truth), scores.Ari, Tight);
        Assert.Equal(ClusteringReference.Nmi(predicted, truth), scores.Nmi, Tight);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 2, 2)]
    [InlineData(10, 3, 3)]
    [InlineData(33, 5, 3)]
    [InlineData(33, 3, 6)]
    [InlineData(200, 6, 6)]
    [InlineData(500, 2, 5)]
    public void Matches_the_definitions_on_random_labelings(int n, int clusters, int classes)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var random = new Random((seed * 7919) + n);
            var predicted = Uniform(random, n, clusters);
            var truth = Uniform(random, n, classes);

            var scores = ClusteringMetrics.Evaluate(predicted, truth);

            Assert.Equal(ClusteringReference.Accuracy(predicted, truth), scores.Accuracy, Tight);
            Assert.Equal(ClusteringReference.Nmi(predicted, truth), scores.Nmi, 1e-11);
            Assert.Equal(ClusteringReference.Ari(predicted, truth), scores.Ari, 1e-11);
            AssertMatchingAchieves(scores, predicted, truth);
        }
    }

    [Fact]
    public void Many_clusters_match_the_definitions()
    {
        // 800 × 800 labels over 4000 samples: the table is far sparser than R·C.
        var random = new Random(4000);
        var predicted = Uniform(random, 4000, 800);
        var truth = predicted.Select(c => random.Next(4) == 0 ? random.Next(800) : c).ToArray();

        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.Equal(ClusteringReference.Nmi(predicted, truth), scores.Nmi, 1e-11);
        Assert.Equal(ClusteringReference.Ari(predicted, truth), scores.Ari, 1e-11);
        Assert.InRange(scores.Accuracy, 0.75, 0.85);
        AssertMatchingAchieves(scores, predicted, truth);
    }

    [Theory]
    [InlineData(50, 4, 4)]
    [InlineData(1000, 10, 3)]
    [InlineData(1000, 3, 10)]
    public void Nmi_and_ari_are_symmetric(int n, int clusters, int classes)
    {
        var random = new Random(n * clusters);
        var predicted = Uniform(random, n, clusters);
        var truth = predicted.Select(c => random.Next(3) == 0 ? random.Next(classes) : c % classes).ToArray();

        Assert.Equal(
            ClusteringMetrics.NormalizedMutualInformation(predicted, truth),
            ClusteringMetrics.NormalizedMutualInformation(truth, predicted),
            Tight);
        Assert.Equal(ClusteringMetrics.AdjustedRandIndex(predicted, truth), ClusteringMetrics.AdjustedRandIndex(truth, predicted));
    }

    [Fact]
    public void Non_contiguous_labels_score_as_their_ranks()
    {
        var random = new Random(77);
        var dense = Uniform(random, 300, 3);
        var denseTruth = dense.Select(c => random.Next(4) == 0 ? random.Next(4) : c).ToArray();
        int[] clusterValues = [3, 10, 42];
        int[] classValues = [7, 123_456, 2_000_000_000, int.MaxValue];
        var predicted = dense.Select(c => clusterValues[c]).ToArray();
        var truth = denseTruth.Select(c => classValues[c]).ToArray();

        var expected = ClusteringMetrics.Evaluate(dense, denseTruth);
        var scores = ClusteringMetrics.Evaluate(predicted, truth);

        Assert.Equal(expected.Accuracy, scores.Accuracy);
        Assert.Equal(expected.Nmi, scores.Nmi, Tight);
        Assert.Equal(expected.Ari, scores.Ari);
        Assert.Equal(43, scores.ClusterToClass.Length);
        for (int value = 0; value < 43; value++)
        {
            int r = Array.IndexOf(clusterValues, value);
            Assert.Equal(r < 0 ? -1 : classValues[expected.ClusterToClass[r]], scores.ClusterToClass[value]);
        }
    }

    [Fact]
    public void Largest_label_values_are_accepted()
    {
        int[] predicted = [int.MaxValue, 0, int.MaxValue, 0];
        int[] truth = [int.MaxValue, int.MaxValue, 5, 5];
        Assert.Equal(0.5, ClusteringMetrics.Accuracy(predicted, truth));
        Assert.Equal(0.0, ClusteringMetrics.NormalizedMutualInformation(predicted, truth));
        Assert.Equal(ClusteringReference.Ari(predicted, truth), ClusteringMetrics.AdjustedRandIndex(predicted, truth), Tight);
        Assert.Equal(1.0, ClusteringMetrics.Accuracy(truth, truth));

        // The map is indexed by cluster value, and no array reaches index int.MaxValue.
        Assert.Equal("predicted", Assert.Throws<GslArgumentException>(() => ClusteringMetrics.Evaluate(predicted, truth)).Argument);
    }

    [Theory]
    [InlineData(new[] { 0 }, new[] { 0 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 4 }, new[] { 9 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 2, 2, 2 }, new[] { 5, 5, 5 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 0, 1, 2, 3 }, new[] { 3, 2, 1, 0 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 0, 0, 1, 2 }, 0.5, 0.0, 0.0)]
    [InlineData(new[] { 0, 1, 1, 2 }, new[] { 1, 1, 1, 1 }, 0.5, 0.0, 0.0)]
    [InlineData(new[] { 0, 1, 2, 3 }, new[] { 6, 6, 6, 6 }, 0.25, 0.0, 0.0)]
    [InlineData(new[] { 6, 6, 6, 6 }, new[] { 0, 1, 2, 3 }, 0.25, 0.0, 0.0)]
    public void Degenerate_labelings_follow_the_conventions(int[] predicted, int[] truth, double accuracy, double nmi, double ari)
    {
        var scores = ClusteringMetrics.Evaluate(predicted, truth);
        Assert.Equal(accuracy, scores.Accuracy, Tight);
        Assert.Equal(nmi, scores.Nmi, Tight);
        Assert.Equal(ari, scores.Ari, Tight);
    }

    [Fact]
    public void Singletons_against_pairs_score_by_the_formulas()
    {
        // Every sample alone against two pairs: no pair agrees (ARI numerator 2(6·0 − 0·2) = 0);
        // I = 4 · ¼ ln(1·4 / (1·2)) = ln 2, H = ln 4 and ln 2, so NMI = ln 2 / (1.5 ln 2) = 2/3.
        var scores = ClusteringMetrics.Evaluate([0, 1, 2, 3], [0, 0, 1, 1]);
        Assert.Equal(0.5, scores.Accuracy);
        Assert.Equal(2.0 / 3, scores.Nmi, Tight);
        Assert.Equal(0.0, scores.Ari, Tight);
    }

    [Fact]
    public void Millions_of_samples_keep_exact_pair_counts()
    {
        // Pair counts near 2·10¹² overflow 32 bits; a balanced 2 × 2 split is exactly independent.
        const int n = 2_000_000;
        var truth = new int[n];
        var predicted = new int[n];
        for (int i = 0; i < n; i++)
        {
            truth[i] = i % 2;
            predicted[i] = (i / 2) % 2;
        }

        var scores = ClusteringMetrics.Evaluate(predicted, truth);
        Assert.Equal(0.5, scores.Accuracy);
        Assert.Equal(0.0, scores.Nmi);

        // Σ C(n_rc, 2) = 4 C(5·10⁵, 2), Σ C(a, 2) = Σ C(b, 2) = 2 C(10⁶, 2), C(2·10⁶, 2): the
        // expected index slightly exceeds the observed one, by a relative 1/(2N − 2) or so.
        Assert.InRange(scores.Ari, -1e-6, 0.0);
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, truth));
        Assert.Equal(1.0, ClusteringMetrics.NormalizedMutualInformation(truth, truth), Tight);
    }

    public static TheoryData<string> Methods() => new() { "evaluate", "accuracy", "nmi", "ari" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Empty_labels_are_rejected(string method)
    {
        var error = Assert.Throws<GslArgumentException>(() => Call(method, [], []));
        Assert.Equal("predicted", error.Argument);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Different_lengths_are_rejected(string method)
    {
        var error = Assert.Throws<GslArgumentException>(() => Call(method, [0, 1, 2], [0, 1]));
        Assert.Equal("truth", error.Argument);
        Assert.Null(error.Row);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Negative_predicted_label_is_rejected_with_its_row(string method)
    {
        var error = Assert.Throws<GslArgumentException>(() => Call(method, [0, 1, 2, -1, 0], [0, 1, 2, 0, -1]));
        Assert.Equal("predicted", error.Argument);
        Assert.Equal(3, error.Row);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Negative_true_label_is_rejected_with_its_row(string method)
    {
        var error = Assert.Throws<GslArgumentException>(() => Call(method, [0, 1, 2, 1], [0, int.MinValue, 2, 0]));
        Assert.Equal("truth", error.Argument);
        Assert.Equal(1, error.Row);
    }

    private static object Call(string method, int[] predicted, int[] truth) => method switch
    {
        "evaluate" => ClusteringMetrics.Evaluate(predicted, truth),
        "accuracy" => ClusteringMetrics.Accuracy(predicted, truth),
        "nmi" => ClusteringMetrics.NormalizedMutualInformation(predicted, truth),
        _ => ClusteringMetrics.AdjustedRandIndex(predicted, truth),
    };

    /// <summary>The reported matching is one-to-one and scores exactly the reported accuracy.</summary>
    private static void AssertMatchingAchieves(ClusteringScores scores, int[] predicted, int[] truth)
    {
        var matched = scores.ClusterToClass.Where(c => c >= 0).ToArray();
        Assert.Equal(matched.Length, matched.Distinct().Count());
        Assert.Equal(Math.Min(predicted.Distinct().Count(), truth.Distinct().Count()), matched.Length);
        int correct = predicted.Zip(truth).Count(pair => scores.ClusterToClass[pair.First] == pair.Second);
        Assert.Equal(scores.Accuracy, (double)correct / predicted.Length, Tight);
    }

    /// <summary>The labels of a contingency table, in shuffled sample order.</summary>
    private static (int[] Predicted, int[] Truth) FromTable(int[,] table, int seed)
    {
        var pairs = new List<(int, int)>();
        for (int r = 0; r < table.GetLength(0); r++)
        {
            for (int c = 0; c < table.GetLength(1); c++)
            {
                pairs.AddRange(Enumerable.Repeat((r, c), table[r, c]));
            }
        }

        var random = new Random(seed);
        var shuffled = pairs.OrderBy(_ => random.Next()).ToArray();
        return (shuffled.Select(p => p.Item1).ToArray(), shuffled.Select(p => p.Item2).ToArray());
    }

    private static int[] Uniform(Random random, int n, int k) => Enumerable.Range(0, n).Select(_ => random.Next(k)).ToArray();
}
