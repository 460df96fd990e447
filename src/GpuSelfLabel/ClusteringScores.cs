namespace GpuSelfLabel;

/// <summary>The three clustering metrics of ops.md §9 for one predicted labelling against the truth.</summary>
/// <param name="Accuracy">
/// ACC: the fraction of samples whose cluster is matched to their class under the best one-to-one
/// cluster→class matching; samples of clusters left without a class count as wrong.
/// </param>
/// <param name="Nmi">NMI with arithmetic-mean normalisation, I(U, V) / ((H(U) + H(V)) / 2), natural logs.</param>
/// <param name="Ari">ARI, the adjusted Rand index (Hubert–Arabie).</param>
/// <param name="ClusterToClass">
/// The matching behind <paramref name="Accuracy"/>, indexed by predicted label value (length: the
/// largest predicted label + 1): the true label the cluster is matched to, or −1 for a cluster left
/// unmatched (more clusters than classes) and for a value that never occurs in the prediction.
/// Cluster ids are expected to be small (0 … K−1, some possibly empty); the array has one entry
/// per value up to the largest.
/// </param>
public sealed record ClusteringScores(double Accuracy, double Nmi, double Ari, int[] ClusterToClass);
