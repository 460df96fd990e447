namespace GpuSelfLabel.Clustering;

/// <summary>The self-labeling loss and pseudo-label solver a clustering head is trained with.</summary>
public enum ClusteringMethod
{
    /// <summary>
    /// Collision cross-entropy (ops.md §2) against pseudo-labels from the EM solver (§4), refreshed
    /// every epoch: the collision seed's method, and the default.
    /// </summary>
    CceEm,
    /// <summary>Shannon cross-entropy (§3) against the same EM pseudo-labels: the baseline the collision seed compares with.</summary>
    Ce,
    /// <summary>Hard labels from SeLa Sinkhorn-Knopp (§5) over all samples every epoch, Shannon cross-entropy.</summary>
    Sela,
    /// <summary>SwAV's online Sinkhorn codes (§6) computed per mini-batch as soft targets, Shannon cross-entropy.</summary>
    Swav,
    /// <summary>The Self-Classifier loss (§7) on two augmented views of each mini-batch.</summary>
    SelfClassifier,
}
