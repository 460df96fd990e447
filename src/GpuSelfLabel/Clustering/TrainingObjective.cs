namespace GpuSelfLabel.Clustering;

/// <summary>
/// What one clustering method adds to the shared training loop: pseudo-labels refreshed once per
/// epoch from the logits of all samples (EM, SeLa), and the loss and ∂loss/∂logits of a mini-batch.
/// </summary>
internal abstract class TrainingObjective
{
    protected TrainingObjective(LossEngine losses, int classes)
    {
        Losses = losses;
        Classes = classes;
    }

    /// <summary>Augmented views per sample the batch holds (views are stacked view-major).</summary>
    public virtual int Views => 1;

    protected LossEngine Losses { get; }

    protected int Classes { get; }

    public static TrainingObjective Create(ClusteringOptions options, LossEngine losses, int rows) => options.Method switch
    {
        ClusteringMethod.CceEm => new EmObjective(losses, options, rows, collision: true),
        ClusteringMethod.Ce => new EmObjective(losses, options, rows, collision: false),
        ClusteringMethod.Sela => new SelaObjective(losses, options, rows),
        ClusteringMethod.Swav => new SwavObjective(losses, options),
        ClusteringMethod.SelfClassifier => new SelfClassifierObjective(losses, options),
        _ => throw new GslArgumentException("method", $"'{options.Method}' is not a clustering method"),
    };

    /// <summary>Refreshes pseudo-labels from the logits of all N samples (N×K) before an epoch.</summary>
    public virtual void BeginEpoch(float[] logits, int epoch)
    {
    }

    /// <summary>
    /// Mean loss of the batch and its gradient with respect to <paramref name="logits"/>
    /// (Views·rows × K, view-major), written to <paramref name="dlogits"/>.
    /// </summary>
    public abstract double Batch(ReadOnlySpan<int> samples, float[] logits, int rows, float[] dlogits);
}
