using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.References;

/// <summary>
/// ops.md §5 and §6 in float64, written the textbook way (whole-vector log-domain updates for SeLa, the
/// spec's linear recursion for SwAV), independent of the fused passes the library uses.
/// </summary>
public static class SinkhornReference
{
    /// <summary>What ops.md §5 returns for one head.</summary>
    public sealed record SelaResult(long[] Labels, bool[] NearTie, double[] LogR, double[] LogC, int Iterations, double[] Codes, double[] Plan);

    /// <summary>
    /// The literal loop of ops.md §5 on log P = λ(z − LSE z), with log r and log c as state. z − LSE z is
    /// taken as (z − max z) − LSE(z − max z), the same number in exact arithmetic: formed directly, a
    /// row near 1e20 would lose the log of its tie count to float64's rounding of LSE z.
    /// </summary>
    public static SelaResult SeLa(double[] z, int n, int k, double lambda, double tol = 0.1, int checkEvery = 10, int maxIters = 1000)
    {
        var logP = new double[n * k];
        var centred = new double[k];
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * k, k);
            double max = row.ToArray().Max();
            for (int j = 0; j < k; j++)
            {
                centred[j] = row[j] - max;
            }

            double lse = Float64.LogSumExp(centred);
            for (int j = 0; j < k; j++)
            {
                logP[(i * k) + j] = lambda * (centred[j] - lse);
            }
        }

        var logC = Enumerable.Repeat(-Math.Log(n), n).ToArray();
        var logR = new double[k];
        var column = new double[n];
        var row2 = new double[k];
        double err = double.PositiveInfinity;
        int t = 0;
        while (err > tol && t < maxIters)
        {
            for (int j = 0; j < k; j++)
            {
                for (int i = 0; i < n; i++)
                {
                    column[i] = logP[(i * k) + j] + logC[i];
                }

                logR[j] = -Math.Log(k) - Float64.LogSumExp(column);
            }

            var next = new double[n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < k; j++)
                {
                    row2[j] = logP[(i * k) + j] + logR[j];
                }

                next[i] = -Math.Log(n) - Float64.LogSumExp(row2);
            }

            if (t % checkEvery == 0)
            {
                err = 0;
                for (int i = 0; i < n; i++)
                {
                    err += Math.Abs(Math.Exp(logC[i] - next[i]) - 1);
                }
            }

            logC = next;
            t++;
        }

        var labels = new long[n];
        var nearTie = new bool[n];
        var codes = new double[n * k];
        var plan = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                row2[j] = logP[(i * k) + j] + logR[j];
            }

            int best = 0;
            for (int j = 1; j < k; j++)
            {
                if (row2[j] > row2[best])
                {
                    best = j;
                }
            }

            double second = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                if (j != best)
                {
                    second = Math.Max(second, row2[j]);
                }
            }

            labels[i] = best;
            nearTie[i] = row2[best] - second <= 1e-5;
            double lse = Float64.LogSumExp(row2);
            for (int j = 0; j < k; j++)
            {
                codes[(i * k) + j] = Math.Exp(row2[j] - lse);
                plan[(i * k) + j] = Math.Exp(row2[j] + logC[i]);
            }
        }

        return new SelaResult(labels, nearTie, logR, logC, t, codes, plan);
    }

    /// <summary>ops.md §6 exactly as written, in float64 and the linear domain.</summary>
    public static double[] Swav(double[] s, int b, int k, double epsilon = 0.05, int iterations = 3)
    {
        double max = s.Max() / epsilon;
        var q = s.Select(v => Math.Exp((v / epsilon) - max)).ToArray();
        double total = q.Sum();
        for (int x = 0; x < q.Length; x++)
        {
            q[x] /= total;
        }

        for (int it = 0; it < iterations; it++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int i = 0; i < b; i++)
                {
                    sum += q[(i * k) + j];
                }

                for (int i = 0; i < b; i++)
                {
                    q[(i * k) + j] = q[(i * k) + j] / sum / k;
                }
            }

            for (int i = 0; i < b; i++)
            {
                double sum = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += q[(i * k) + j];
                }

                for (int j = 0; j < k; j++)
                {
                    q[(i * k) + j] = q[(i * k) + j] / sum / b;
                }
            }
        }

        return q.Select(v => v * b).ToArray();
    }

    /// <summary>ops.md §6 on log Q, for scores where exp(S/ε − max) underflows even in float64.</summary>
    public static double[] SwavLogDomain(double[] s, int b, int k, double epsilon = 0.05, int iterations = 3)
    {
        var logQ = s.Select(v => v / epsilon).ToArray();
        double all = Float64.LogSumExp(logQ);
        for (int x = 0; x < logQ.Length; x++)
        {
            logQ[x] -= all;
        }

        var column = new double[b];
        for (int it = 0; it < iterations; it++)
        {
            for (int j = 0; j < k; j++)
            {
                for (int i = 0; i < b; i++)
                {
                    column[i] = logQ[(i * k) + j];
                }

                double lse = Float64.LogSumExp(column) + Math.Log(k);
                for (int i = 0; i < b; i++)
                {
                    logQ[(i * k) + j] -= lse;
                }
            }

            for (int i = 0; i < b; i++)
            {
                double lse = Float64.LogSumExp(logQ.AsSpan(i * k, k)) + Math.Log(b);
                for (int j = 0; j < k; j++)
                {
                    logQ[(i * k) + j] -= lse;
                }
            }
        }

        return logQ.Select(v => Math.Exp(v) * b).ToArray();
    }
}
