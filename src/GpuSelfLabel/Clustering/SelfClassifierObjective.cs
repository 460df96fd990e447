namespace GpuSelfLabel.Clustering;

/// <summary>
/// self-classifier: the Self-Classifier loss (ops.md §7) between two augmented views of each
/// mini-batch (see <see cref="ViewAugmentation"/>), with gradients into both views.
/// </summary>
internal sealed class SelfClassifierObjective(LossEngine losses, ClusteringOptions options) : TrainingObjective(losses, options.K)
{
    public override int Views => 2;

    public override double Batch(ReadOnlySpan<int> samples, float[] logits, int rows, float[] dlogits) =>
        Losses.SelfClassifier(logits.AsSpan(0, Views * rows * Classes), Views, rows, Classes, dlogits);
}
