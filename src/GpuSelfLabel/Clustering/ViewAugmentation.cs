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
        for (int i = 0; i < source.Length; i += 2)
        {
            // Box–Muller gives two independent normals per pair of uniforms; 1 − u keeps the log's argument in (0, 1].
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            Write(source, target, i, d, scale, (float)(radius * Math.Cos(angle)));
            if (i + 1 < source.Length)
            {
                Write(source, target, i + 1, d, scale, (float)(radius * Math.Sin(angle)));
            }
        }
    }

    private void Write(ReadOnlySpan<float> source, Span<float> target, int i, int d, float scale, float normal)
    {
        if (keep < 1 && random.NextSingle() >= keep)
        {
            target[i] = 0f;
            return;
        }

        target[i] = (source[i] + (noiseScale[i % d] * normal)) * scale;
    }
}
