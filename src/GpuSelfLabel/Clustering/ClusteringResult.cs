namespace GpuSelfLabel.Clustering;

/// <summary>What <see cref="SelfLabelClustering.Fit"/> returns.</summary>
/// <param name="Clusters">Cluster of every sample: the argmax of the trained head's logits.</param>
/// <param name="Head">The trained head (weights to save or to apply to new samples of the same features).</param>
/// <param name="History">One report per epoch of every restart, in order.</param>
/// <param name="Scores">Final ACC, NMI and ARI when labels were given, else null.</param>
/// <param name="Objective">The selection score of the returned head: min over Y of the EM objective F for its σ.</param>
/// <param name="Restart">Which restart (0-based) won.</param>
/// <param name="Seconds">Wall time of the whole fit (preprocessing, initialisation, training).</param>
/// <param name="Blas">The matrix-multiply path that ran, in words.</param>
/// <param name="Options">The options used.</param>
public sealed record ClusteringResult(
    int[] Clusters,
    ClassifierHead Head,
    IReadOnlyList<EpochReport> History,
    ClusteringScores? Scores,
    double Objective,
    int Restart,
    double Seconds,
    string Blas,
    ClusteringOptions Options);
