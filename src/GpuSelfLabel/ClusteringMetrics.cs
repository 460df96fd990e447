using GpuSelfLabel.Metrics;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §9: accuracy under the best cluster→class matching, normalised mutual information and the
/// adjusted Rand index of a predicted labelling against the true one. Labels are any non-negative
/// integers; they need not be contiguous, and the cluster count may differ from the class count.
/// Host-side: these are computed once per evaluation, on label vectors, not on a backend.
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>
    /// All three metrics and the matching, from one contingency table. The matching is indexed by
    /// predicted label value, so the largest predicted label must be below <see cref="Array.MaxLength"/>.
    /// </summary>
    /// <param name="predicted">Cluster of each sample (≥ 0), length N ≥ 1.</param>
    /// <param name="truth">Class of each sample (≥ 0), length N.</param>
    public static ClusteringScores Evaluate(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        var table = Tabulate(predicted, truth);
        var (accuracy, match) = Match(table);
        return new ClusteringScores(accuracy, Nmi(table), Ari(table), ByLabelValue(table, match));
    }

    /// <summary>
    /// ACC = max over one-to-one maps m of Σ_r n_{r, m(r)} / N (Hungarian algorithm on the
    /// contingency table); clusters without a class contribute nothing.
    /// </summary>
    /// <param name="predicted">Cluster of each sample (≥ 0), length N ≥ 1.</param>
    /// <param name="truth">Class of each sample (≥ 0), length N.</param>
    public static double Accuracy(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth) =>
        Match(Tabulate(predicted, truth)).Accuracy;

    /// <summary>
    /// NMI = I(U, V) / ((H(U) + H(V)) / 2) with natural logs. As scikit-learn: 1 when both labelings
    /// are a single cluster, 0 when exactly one of them is (or whenever I(U, V) = 0).
    /// </summary>
    /// <param name="predicted">Cluster of each sample (≥ 0), length N ≥ 1.</param>
    /// <param name="truth">Class of each sample (≥ 0), length N.</param>
    public static double NormalizedMutualInformation(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth) =>
        Nmi(Tabulate(predicted, truth));

    /// <summary>
    /// ARI = (Σ C(n_rc, 2) − E) / (½(Σ C(a_r, 2) + Σ C(b_c, 2)) − E), E = Σ C(a_r, 2) Σ C(b_c, 2) / C(N, 2).
    /// As scikit-learn: 1 when both labelings are a single cluster or both put every sample alone,
    /// the only cases where the denominator vanishes.
    /// </summary>
    /// <param name="predicted">Cluster of each sample (≥ 0), length N ≥ 1.</param>
    /// <param name="truth">Class of each sample (≥ 0), length N.</param>
    public static double AdjustedRandIndex(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth) =>
        Ari(Tabulate(predicted, truth));

    private static ContingencyTable Tabulate(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        if (predicted.IsEmpty)
        {
            throw new GslArgumentException(nameof(predicted), "is empty; N must be ≥ 1");
        }

        if (truth.Length != predicted.Length)
        {
            throw new GslArgumentException(nameof(truth), $"has {truth.Length} labels but 'predicted' has {predicted.Length}; they must agree");
        }

        NonNegative(predicted, nameof(predicted));
        NonNegative(truth, nameof(truth));
        return ContingencyTable.Build(predicted, truth);
    }

    private static void NonNegative(ReadOnlySpan<int> labels, string argument)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new GslArgumentException(argument, $"label {labels[i]} is negative; labels must be ≥ 0", i);
            }
        }
    }

    private static (double Accuracy, int[] Match) Match(ContingencyTable table)
    {
        var counts = table.ToDense();
        var match = Hungarian.Maximize(counts, table.Clusters.Count, table.Classes.Count);
        long correct = Hungarian.Total(counts, table.Classes.Count, match);
        return ((double)correct / table.Samples, match);
    }

    /// <summary>The dense cluster→class matching re-indexed by the original label values.</summary>
    private static int[] ByLabelValue(ContingencyTable table, int[] match)
    {
        var clusterValues = table.Clusters.Values;
        long length = clusterValues[^1] + 1L;
        if (length > Array.MaxLength)
        {
            throw new GslArgumentException("predicted", $"label {clusterValues[^1]} is too large to index the cluster→class map; renumber the clusters");
        }

        var clusterToClass = new int[length];
        Array.Fill(clusterToClass, -1);
        for (int r = 0; r < match.Length; r++)
        {
            if (match[r] >= 0)
            {
                clusterToClass[clusterValues[r]] = table.Classes.Values[match[r]];
            }
        }

        return clusterToClass;
    }

    private static double Nmi(ContingencyTable table)
    {
        int clusters = table.Clusters.Count;
        int classes = table.Classes.Count;
        if (clusters == 1 && classes == 1)
        {
            return 1.0;
        }

        if (clusters == 1 || classes == 1)
        {
            return 0.0;
        }

        // I = Σ (n_rc/N) ln(n_rc N / (a_r b_c)); the ratio of exact integer products is one rounding,
        // so no cancellation between large logarithms.
        double n = table.Samples;
        double mutual = 0;
        for (int cell = 0; cell < table.CellCount.Length; cell++)
        {
            double count = table.CellCount[cell];
            double outer = (double)table.ClusterSizes[table.CellCluster[cell]] * table.ClassSizes[table.CellClass[cell]];
            mutual += count / n * Math.Log(count * n / outer);
        }

        // Independent labelings can round to a tiny negative I; it is zero by definition then.
        if (mutual <= 0)
        {
            return 0.0;
        }

        double mean = (Entropy(table.ClusterSizes, n) + Entropy(table.ClassSizes, n)) / 2;
        return mutual / mean;
    }

    private static double Entropy(long[] sizes, double n)
    {
        double entropy = 0;
        foreach (var size in sizes)
        {
            entropy += size / n * Math.Log(n / size);
        }

        return entropy;
    }

    private static double Ari(ContingencyTable table)
    {
        long pairs = Pairs(table.Samples);
        long together = 0;
        foreach (var count in table.CellCount)
        {
            together += Pairs(count);
        }

        long clusterPairs = 0;
        foreach (var size in table.ClusterSizes)
        {
            clusterPairs += Pairs(size);
        }

        long classPairs = 0;
        foreach (var size in table.ClassSizes)
        {
            classPairs += Pairs(size);
        }

        // Numerator and denominator multiplied by 2·C(N, 2) are integers; pair counts reach ~2.3e18
        // for N = 2³¹, so their products need 128 bits, and the only rounding is the final division.
        Int128 product = (Int128)clusterPairs * classPairs;
        Int128 numerator = 2 * (((Int128)pairs * together) - product);
        Int128 denominator = ((Int128)pairs * (clusterPairs + classPairs)) - (2 * product);
        return denominator == 0 ? 1.0 : (double)numerator / (double)denominator;
    }

    private static long Pairs(long count) => count * (count - 1) / 2;
}
