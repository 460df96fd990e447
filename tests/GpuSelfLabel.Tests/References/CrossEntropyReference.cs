using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.References;

/// <summary>ops.md §3 in float64, written straight from the formulas.</summary>
public static class CrossEntropyReference
{
    /// <summary>Everything §3 defines, unrounded: the mean loss, per-sample losses and ∂L/∂z.</summary>
    public sealed record Result(double Loss, double[] Losses, double[] DLogits);

    /// <summary>L = (1/N) Σ_i −Σ_k y_ik ln σ_ik (y = 0 terms skipped), ∂L/∂z = (σ − y)/N.</summary>
    public static Result Evaluate(double[] z, double[] y, int n, int k)
    {
        var logSigma = Float64.LogSoftmax(z, n, k);
        var losses = new double[n];
        var dz = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                int at = (i * k) + j;
                if (y[at] > 0)
                {
                    losses[i] -= y[at] * logSigma[at];
                }

                dz[at] = (Math.Exp(logSigma[at]) - y[at]) / n;
            }
        }

        return new Result(losses.Sum() / n, losses, dz);
    }

    /// <summary>The loss alone, for finite differences.</summary>
    public static double Loss(double[] z, double[] y, int n, int k) => Evaluate(z, y, n, k).Loss;
}
