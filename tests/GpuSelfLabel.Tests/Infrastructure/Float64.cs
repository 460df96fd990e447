namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Small float64 helpers the per-family references share.</summary>
public static class Float64
{
    public static double[] Widen(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>log Σ exp(x) of one row, max-shifted.</summary>
    public static double LogSumExp(ReadOnlySpan<double> x)
    {
        double m = double.NegativeInfinity;
        foreach (var v in x)
        {
            m = Math.Max(m, v);
        }

        if (double.IsNegativeInfinity(m))
        {
            return m;
        }

        double s = 0;
        foreach (var v in x)
        {
            s += Math.Exp(v - m);
        }

        return m + Math.Log(s);
    }

    /// <summary>Row-wise softmax of an n×k matrix with temperature τ.</summary>
    public static double[] Softmax(double[] z, int n, int k, double temperature = 1.0)
    {
        var p = new double[n * k];
        var row = new double[k];
        for (int i = 0; i < n; i++)
        {
            ShiftedRow(z.AsSpan(i * k, k), temperature, row);

            double lse = LogSumExp(row);
            for (int j = 0; j < k; j++)
            {
                p[(i * k) + j] = Math.Exp(row[j] - lse);
            }
        }

        return p;
    }

    /// <summary>
    /// (z − max z)/τ: the same softmax as z/τ, but near |z| = 3e38 a shift of z/τ by its maximum would
    /// drop ln Σ in the rounding of the maximum (ties would each get σ = 1).
    /// </summary>
    private static void ShiftedRow(ReadOnlySpan<double> z, double temperature, Span<double> row)
    {
        double max = double.NegativeInfinity;
        foreach (var v in z)
        {
            max = Math.Max(max, v);
        }

        for (int j = 0; j < z.Length; j++)
        {
            row[j] = (z[j] - max) / temperature;
        }
    }

    /// <summary>Row-wise log-softmax of an n×k matrix with temperature τ.</summary>
    public static double[] LogSoftmax(double[] z, int n, int k, double temperature = 1.0)
    {
        var p = new double[n * k];
        var row = new double[k];
        for (int i = 0; i < n; i++)
        {
            ShiftedRow(z.AsSpan(i * k, k), temperature, row);

            double lse = LogSumExp(row);
            for (int j = 0; j < k; j++)
            {
                p[(i * k) + j] = row[j] - lse;
            }
        }

        return p;
    }
}
