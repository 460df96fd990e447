namespace GpuSelfLabel.Tests.References;

/// <summary>
/// ops.md §4 in float64, written straight from the formulas (s, d, t and the closed-form row update)
/// so that it shares nothing with the library's fused, reweighted form.
/// </summary>
public static class PseudoLabelReference
{
    /// <summary>A reference run: final Y, iterations used and F after every iteration.</summary>
    public sealed record Run(double[] Labels, int Iterations, double[] Objective);

    public static double[] Uniform(int k) => Enumerable.Repeat(1.0 / k, k).ToArray();

    /// <summary>EM from <paramref name="init"/> (σ when null) until max |y' − y| &lt; tol or maxIters.</summary>
    public static Run Em(double[] sigma, int n, int k, double lambda, double tol, int maxIters, double[]? init = null, double[]? prior = null)
    {
        var u = prior ?? Uniform(k);
        var y = (double[])(init ?? sigma).Clone();
        var objective = new List<double>();
        for (int iteration = 0; iteration < maxIters; iteration++)
        {
            var s = ColumnSums(y, n, k);
            var next = new double[y.Length];
            double change = 0;
            for (int i = 0; i < n; i++)
            {
                double d = 0;
                double t = 0;
                for (int c = 0; c < k; c++)
                {
                    double yic = y[(i * k) + c];
                    d += sigma[(i * k) + c] * yic;
                    if (yic > 0)
                    {
                        t += u[c] * yic / s[c];
                    }
                }

                for (int c = 0; c < k; c++)
                {
                    double yic = y[(i * k) + c];
                    double fairness = yic > 0 ? lambda * n * u[c] * yic / s[c] : 0;
                    double value = ((sigma[(i * k) + c] * yic / d) + fairness) / (1 + (lambda * n * t));
                    next[(i * k) + c] = value;
                    change = Math.Max(change, Math.Abs(value - yic));
                }
            }

            y = next;
            objective.Add(Objective(sigma, y, n, k, lambda, u));
            if (change < tol)
            {
                break;
            }
        }

        return new Run(y, objective.Count, [.. objective]);
    }

    /// <summary>F(Y) = (1/N) Σ_i −ln(σ_i·y_i) + λ Σ_k u_k ln(u_k / ȳ_k).</summary>
    public static double Objective(double[] sigma, double[] y, int n, int k, double lambda, double[]? prior = null)
    {
        var u = prior ?? Uniform(k);
        double f = 0;
        for (int i = 0; i < n; i++)
        {
            double d = 0;
            for (int c = 0; c < k; c++)
            {
                d += sigma[(i * k) + c] * y[(i * k) + c];
            }

            f -= Math.Log(d) / n;
        }

        return lambda == 0 ? f : f + (lambda * Divergence(MeanLabel(y, n, k), u));
    }

    /// <summary>KL(u ‖ ȳ).</summary>
    public static double Divergence(double[] mean, double[] prior)
    {
        double kl = 0;
        for (int c = 0; c < prior.Length; c++)
        {
            kl += prior[c] * Math.Log(prior[c] / mean[c]);
        }

        return kl;
    }

    /// <summary>ȳ_k = (1/N) Σ_i y_ik.</summary>
    public static double[] MeanLabel(double[] y, int n, int k) => ColumnSums(y, n, k).Select(v => v / n).ToArray();

    private static double[] ColumnSums(double[] y, int n, int k)
    {
        var s = new double[k];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < k; c++)
            {
                s[c] += y[(i * k) + c];
            }
        }

        return s;
    }
}
