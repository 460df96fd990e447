namespace GpuSelfLabel.Clustering;

/// <summary>
/// swav, the online variant: each mini-batch's own logits, detached, go through SwAV's
/// Sinkhorn-Knopp (ops.md §6) to balanced soft codes, and the batch is trained with Shannon
/// cross-entropy against them. There is no per-epoch pass over all samples.
/// </summary>
internal sealed class SwavObjective(LossEngine losses, ClusteringOptions options) : TrainingObjective(losses, options.K)
{
    private const int Iterations = 3;
    private readonly double epsilon = options.Epsilon;
    private float[] codes = [];

    public override double Batch(ReadOnlySpan<int> samples, float[] logits, int rows, float[] dlogits)
    {
        if (codes.Length < rows * Classes)
        {
            codes = new float[rows * Classes];
        }

        var z = logits.AsSpan(0, rows * Classes);
        var q = codes.AsSpan(0, rows * Classes);
        Losses.Swav(z, rows, Classes, epsilon, Iterations, q);
        return Losses.CrossEntropy(z, q, rows, Classes, dlogits);
    }
}
