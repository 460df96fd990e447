namespace GpuSelfLabel.Clustering;

/// <summary>How the output layer of the head starts.</summary>
public enum HeadInit
{
    /// <summary>Uniform in ±1/√fan-in (seeded), biases 0.</summary>
    Random,
    /// <summary>
    /// Nearest-centre classifier of k-means++ seeds drawn from the layer's inputs: weight column k is
    /// c_k/T, bias −‖c_k‖²/(2T), so softmax(logits) is the posterior of an isotropic Gaussian mixture
    /// at those centres. Only the seeding runs (no Lloyd iterations).
    /// </summary>
    KMeansPlusPlus,
    /// <summary>
    /// As <see cref="KMeansPlusPlus"/>, but at the centres of a full k-means run (Lloyd iterations,
    /// the best of several k-means++ restarts): self-labeling then refines the k-means partition.
    /// </summary>
    KMeans,
}
