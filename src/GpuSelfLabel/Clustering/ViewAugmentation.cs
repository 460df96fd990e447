namespace GpuSelfLabel.Clustering;

/// <summary>
/// The two views the Self-Classifier method compares, made from feature vectors where image crops
/// and colour jitter do not apply: Gaussian noise with standard deviation NoiseStd × (the feature's
/// standard deviation over the data), then dropout of each feature with probability p (kept
/// features scaled by 1/(1 − p) so the expectation is unchanged). Seeded, so runs repeat.
/// </summary>
internal sealed class ViewAugmentation
{
    private readonly float[] noiseScale;
    private readonly float keep;
    private readonly Random random;

    public ViewAugmentation(FeatureMatrix features, double noiseStd, double dropout, Random random)
    {
        this.random = random;
        keep = (float)(1 - dropout);
        int d = features.Columns;
        var mean = new double[d];
        var square = new double[d];
        for (int i = 0; i < features.Rows; i++)
        {
            var row = features.Row(i);
            for (int j = 0; j < d; j++)
            {
                mean[j] += row[j];
                square[j] += (double)row[j] * row[j];
            }
        }

        noiseScale = new float[d];
        for (int j = 0; j < d; j++)
        {
            double m = mean[j] / features.Rows;
            noiseScale[j] = (float)(noiseStd * Math.Sqrt(Math.Max(0, (square[j] / features.Rows) - (m * m))));
        }
    }

    /// <summary>Writes an augmented copy of <paramref name="source"/> (rows×D) to <paramref name="target"/>.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> target)
    {
        int d = noiseScale.Length;
        float scale = 1 / keep;
        for (int i = 0; i < source.Length; i++)
        {
            int j = i % d;
            if (keep < 1 && random.NextSingle() >= keep)
            {
                target[i] = 0f;
                continue;
            }

            float noise = noiseScale[j] == 0 ? 0f : noiseScale[j] * Gaussian();
            target[i] = (source[i] + noise) * scale;
        }
    }

    private float Gaussian()
    {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
        double u = 1 - random.NextDouble();
        double v = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
    }
}
