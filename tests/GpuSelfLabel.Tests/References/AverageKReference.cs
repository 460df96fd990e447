using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.References;

/// <summary>
/// ops.md §8 the slow, obvious way: full sorts (stable, so equal values keep flat-index order) and
/// float64 sums. Counts from K are rounded half to even, as the library documents.
/// </summary>
public static class AverageKReference
{
    public static long Round(double x) => (long)Math.Round(x, MidpointRounding.ToEven);

    /// <summary>Threshold, accuracy (NaN without labels) and mean set size of N×L scores.</summary>
    public static (double Threshold, double Accuracy, double MeanSetSize) Threshold(float[] scores, int n, int l, double k, int[]? labels)
    {
        var sorted = scores.Select(v => (double)v).OrderByDescending(v => v).ToArray();
        long m = Round(k * n);
        double t = 0.5 * (sorted[m - 1] + sorted[m]);
        double size = scores.Count(v => v >= t) / (double)n;
        double accuracy = labels is null ? double.NaN : Enumerable.Range(0, n).Count(i => scores[(i * l) + labels[i]] >= t) / (double)n;
        return (t, accuracy, size);
    }

    /// <summary>0/1 pseudo-labels from probabilities p (B×L), by either rule.</summary>
    public static double[] PseudoLabels(double[] p, int b, int l, int[] labels, double k, bool truePlusTop)
    {
        var z = new double[b * l];
        long total = Round(k * b);
        long take = truePlusTop ? total - b : total;
        var order = Enumerable.Range(0, b * l)
            .Where(e => !truePlusTop || e % l != labels[e / l])
            .OrderByDescending(e => p[e])
            .Take((int)take);
        foreach (var e in order)
        {
            z[e] = 1;
        }

        for (int i = 0; i < b; i++)
        {
            z[(i * l) + labels[i]] = 1;
        }

        return z;
    }

    /// <summary>Two-head loss with the pseudo-labels <paramref name="z"/> held fixed.</summary>
    public static double TwoHeadLoss(double[] a, double[] bLogits, int b, int l, int[] labels, double[] z, double mu)
    {
        var logp = Float64.LogSoftmax(a, b, l);
        double ce = 0;
        double bce = 0;
        for (int i = 0; i < b; i++)
        {
            ce -= logp[(i * l) + labels[i]];
            for (int j = 0; j < l; j++)
            {
                double x = bLogits[(i * l) + j];
                bce += Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))) - (z[(i * l) + j] * x);
            }
        }

        return (ce + (mu * bce)) / b;
    }

    /// <summary>The pseudo-labels the two-head loss uses: true-plus-top on softmax(a) in float64.</summary>
    public static double[] TwoHeadTargets(double[] a, int b, int l, int[] labels, double k) =>
        PseudoLabels(Float64.Softmax(a, b, l), b, l, labels, k, truePlusTop: true);

    /// <summary>(softmax(a) − onehot)/B and μ(sigmoid(b) − Z)/B.</summary>
    public static (double[] DSoftmax, double[] DMultilabel) TwoHeadGradients(double[] a, double[] bLogits, int b, int l, int[] labels, double[] z, double mu)
    {
        var p = Float64.Softmax(a, b, l);
        var ds = new double[b * l];
        var dm = new double[b * l];
        for (int e = 0; e < b * l; e++)
        {
            ds[e] = (p[e] - (e % l == labels[e / l] ? 1 : 0)) / b;
            dm[e] = mu * ((1 / (1 + Math.Exp(-bLogits[e]))) - z[e]) / b;
        }

        return (ds, dm);
    }
}
