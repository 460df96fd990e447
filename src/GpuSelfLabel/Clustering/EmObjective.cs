namespace GpuSelfLabel.Clustering;

/// <summary>
/// cce-em and ce: before every epoch, pseudo-labels Y minimising
/// (1/N) Σ −ln(σ_i·y_i) + λ·KL(u ‖ ȳ) by EM (ops.md §4) from the head's σ, warm-started from the
/// previous epoch's Y; then mini-batches of collision cross-entropy (or Shannon cross-entropy) against Y.
/// </summary>
internal sealed class EmObjective : TrainingObjective
{
    /// <summary>
    /// Share of the uniform distribution blended into the warm start: EM keeps a zero at zero, so a
    /// class a sample left once could never come back without it.
    /// </summary>
    private const float WarmStartBlend = 1e-3f;

    private readonly bool collision;
    private readonly double lambda;
    private readonly int maxIterations;
    private readonly int rows;
    private readonly float[] labels;
    private readonly float[] probs;
    private readonly float[] start;
    private float[] batchTargets = [];
    private bool warm;

    public EmObjective(LossEngine losses, ClusteringOptions options, int rows, bool collision)
        : base(losses, options.K)
    {
        this.collision = collision;
        this.rows = rows;
        lambda = options.EffectiveLambda;
        maxIterations = options.EmIterations;
        labels = new float[rows * options.K];
        probs = new float[rows * options.K];
        start = new float[rows * options.K];
    }

    /// <summary>EM iterations the last refresh took.</summary>
    public int LastIterations { get; private set; }

    public override void BeginEpoch(float[] logits, int epoch)
    {
        Losses.Softmax(logits, rows, Classes, probs);
        float uniform = WarmStartBlend / Classes;
        if (warm)
        {
            for (int i = 0; i < start.Length; i++)
            {
                start[i] = ((1 - WarmStartBlend) * labels[i]) + uniform;
            }
        }

        LastIterations = Losses.Em(probs, warm ? start : null, rows, Classes, lambda, maxIterations, labels).Iterations;
        warm = true;
    }

    public override double Batch(ReadOnlySpan<int> samples, float[] logits, int rows, float[] dlogits)
    {
        if (batchTargets.Length < rows * Classes)
        {
            batchTargets = new float[rows * Classes];
        }

        for (int b = 0; b < rows; b++)
        {
            labels.AsSpan(samples[b] * Classes, Classes).CopyTo(batchTargets.AsSpan(b * Classes, Classes));
        }

        var z = logits.AsSpan(0, rows * Classes);
        var y = batchTargets.AsSpan(0, rows * Classes);
        return collision
            ? Losses.CollisionCe(z, y, rows, Classes, dlogits)
            : Losses.CrossEntropy(z, y, rows, Classes, dlogits);
    }
}
