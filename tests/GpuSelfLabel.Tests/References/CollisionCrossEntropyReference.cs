using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.References;

/// <summary>ops.md §2 in float64, written straight from the formulas.</summary>
public static class CollisionCrossEntropyReference
{
    /// <summary>Everything §2 defines, unrounded: the mean loss, per-sample losses and both gradients.</summary>
    public sealed record Result(double Loss, double[] Losses, double[] DLogits, double[] DTargets);

    /// <summary>
    /// The log-domain form: H2 = −ln Σ σ y = LSE(z) − LSE(z + ln y), the second LSE over y &gt; 0,
    /// q = softmax(z + ln y), ∂L/∂y_ik = −exp(z_ik − LSE_c(z_ic + ln y_ic))/N. Valid for any finite
    /// logits, however far apart (no σ is ever formed on its own).
    /// </summary>
    public static Result Evaluate(double[] z, double[] y, int n, int k)
    {
        var losses = new double[n];
        var dz = new double[n * k];
        var dy = new double[n * k];
        var shifted = new double[k];
        var targeted = new List<double>(k);
        for (int i = 0; i < n; i++)
        {
            targeted.Clear();
            for (int j = 0; j < k; j++)
            {
                shifted[j] = z[(i * k) + j];
                if (y[(i * k) + j] > 0)
                {
                    targeted.Add(z[(i * k) + j] + Math.Log(y[(i * k) + j]));
                }
            }

            double lseZ = Float64.LogSumExp(shifted);
            double lseZy = Float64.LogSumExp(targeted.ToArray());
            losses[i] = lseZ - lseZy;
            for (int j = 0; j < k; j++)
            {
                int at = (i * k) + j;
                double sigma = Math.Exp(z[at] - lseZ);
                double q = y[at] > 0 ? Math.Exp(z[at] + Math.Log(y[at]) - lseZy) : 0;
                dz[at] = (sigma - q) / n;
                dy[at] = -Math.Exp(z[at] - lseZy) / n;
            }
        }

        return new Result(losses.Sum() / n, losses, dz, dy);
    }

    /// <summary>The defining formula L = (1/N) Σ_i −ln Σ_k y_ik σ_ik, for finite differences.</summary>
    public static double Loss(double[] z, double[] y, int n, int k)
    {
        var sigma = Float64.Softmax(z, n, k);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double collision = 0;
            for (int j = 0; j < k; j++)
            {
                collision += sigma[(i * k) + j] * y[(i * k) + j];
            }

            total -= Math.Log(collision);
        }

        return total / n;
    }
}
