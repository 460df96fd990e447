using GpuSelfLabel.Clustering;

namespace GpuSelfLabel.Cli.Cluster;

/// <summary>The names <c>gsl cluster --method</c> accepts: the five self-labeling methods and the k-means baseline.</summary>
internal static class ClusterMethods
{
    public const string KMeans = "kmeans";

    private static readonly (string Name, ClusteringMethod Method)[] Table =
    [
        ("cce-em", ClusteringMethod.CceEm),
        ("ce", ClusteringMethod.Ce),
        ("sela", ClusteringMethod.Sela),
        ("swav", ClusteringMethod.Swav),
        ("self-classifier", ClusteringMethod.SelfClassifier),
    ];

    /// <summary>Every self-labeling method's name, default first.</summary>
    public static IReadOnlyList<string> SelfLabeling { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All { get; } = [.. SelfLabeling, KMeans];

    public static ClusteringMethod Parse(string name)
    {
        foreach (var (n, method) in Table)
        {
            if (n == name)
            {
                return method;
            }
        }

        throw new GslArgumentException("method", $"'{name}' is not one of {string.Join(", ", All)}");
    }

    public static string Name(ClusteringMethod method) => Table.First(t => t.Method == method).Name;
}
