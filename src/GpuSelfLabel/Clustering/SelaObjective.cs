namespace GpuSelfLabel.Clustering;

/// <summary>
/// sela: before every epoch, equipartitioned hard labels from SeLa Sinkhorn-Knopp (ops.md §5) over the
/// logits of all samples; then mini-batches of Shannon cross-entropy against their one-hot rows.
/// </summary>
internal sealed class SelaObjective : TrainingObjective
{
    private readonly double lambda;
    private readonly int rows;
    private long[] assignment = [];
    private float[] batchTargets = [];

    public SelaObjective(LossEngine losses, ClusteringOptions options, int rows)
        : base(losses, options.K)
    {
        lambda = options.EffectiveLambda;
        this.rows = rows;
    }

    public override void BeginEpoch(float[] logits, int epoch) =>
        assignment = Losses.SeLa(logits, rows, Classes, lambda);

    public override double Batch(ReadOnlySpan<int> samples, float[] logits, int rows, float[] dlogits)
    {
        if (batchTargets.Length < rows * Classes)
        {
            batchTargets = new float[rows * Classes];
        }

        var y = batchTargets.AsSpan(0, rows * Classes);
        y.Clear();
        for (int b = 0; b < rows; b++)
        {
            y[(b * Classes) + (int)assignment[samples[b]]] = 1f;
        }

        return Losses.CrossEntropy(logits.AsSpan(0, rows * Classes), y, rows, Classes, dlogits);
    }
}
