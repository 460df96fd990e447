using GpuSelfLabel.Clustering;

namespace GpuSelfLabel.Cli.Cluster;

/// <summary>One method's result, self-labeling or k-means, in the form the report and the table use.</summary>
/// <param name="Method">The <c>--method</c> name.</param>
/// <param name="Clusters">Cluster of every sample.</param>
/// <param name="Scores">ACC/NMI/ARI when labels were given.</param>
/// <param name="Seconds">Wall time of the fit.</param>
/// <param name="Training">The self-labeling result (head, history), or null for k-means.</param>
/// <param name="KMeans">The k-means result, or null.</param>
/// <param name="Preprocessing">What was done to the features first: "none", "standardize", "l2-normalize" or both joined by '+'.</param>
internal sealed record MethodOutcome(string Method, int[] Clusters, ClusteringScores? Scores, double Seconds, ClusteringResult? Training, KMeansResult? KMeans, string Preprocessing)
{
    /// <summary>The preprocessing the options ask for, in the words of <see cref="Preprocessing"/>.</summary>
    public static string Describe(ClusteringOptions options) => (options.Standardize, options.NormalizeRows) switch
    {
        (true, true) => "standardize+l2-normalize",
        (true, false) => "standardize",
        (false, true) => "l2-normalize",
        _ => "none",
    };

    /// <summary>Samples per cluster, clusters 0 … K−1.</summary>
    public int[] Sizes(int k)
    {
        var sizes = new int[k];
        foreach (var c in Clusters)
        {
            sizes[c]++;
        }

        return sizes;
    }
}
