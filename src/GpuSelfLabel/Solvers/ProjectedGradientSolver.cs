using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The baseline of ops.md §4: projected gradient descent on F over host copies in float64. Each
/// iteration takes a gradient step, projects every row onto the simplex (sort-based) and picks the
/// step by Armijo backtracking, starting from twice the last accepted step. It exists to be
/// compared with EM (same F, same stopping rule, same report), not to be fast.
/// </summary>
internal static class ProjectedGradientSolver
{
    /// <summary>Armijo constant c in F(Y') ≤ F(Y) + c ⟨∇F, Y' − Y⟩.</summary>
    private const double SufficientDecrease = 1e-4;

    /// <summary>Halvings before an iteration gives up and keeps Y (the step no longer changes F measurably).</summary>
    private const int MaxHalvings = 100;

    /// <summary>Floor for d_i and s_k in the gradient, so an empty column or a zero collision gives a huge, finite pull.</summary>
    private const double GradientFloor = 1e-200;

    /// <summary>Runs PGD from <paramref name="start"/> (σ itself when no start was given); arguments are validated.</summary>
    public static PseudoLabelResult Run(Tensor probs, Tensor start, double[] prior, PseudoLabelOptions options)
    {
        int n = checked((int)probs.Rows);
        int k = checked((int)probs.Columns);
        var sigma = Array.ConvertAll(probs.ToArray(), v => (double)v);
        var y = Array.ConvertAll(start.ToArray(), v => (double)v);
        var gradient = new double[y.Length];
        var candidate = new double[y.Length];
        var sorted = new double[k];
        var columnSums = new double[k];
        double lambda = options.Lambda;

        double value = Objective(sigma, y, n, k, prior, lambda, columnSums);

        // ∂F/∂y is of order 1/N (F averages over rows), so a first step of N moves Y by O(1).
        double step = n;
        var objective = new List<double>();
        bool converged = false;
        while (objective.Count < options.MaxIterations)
        {
            Gradient(sigma, y, n, k, prior, lambda, columnSums, gradient);
            double trial = objective.Count == 0 ? step : 2 * step;
            double candidateValue = value;
            bool accepted = false;
            for (int halving = 0; halving < MaxHalvings && !accepted; halving++)
            {
                for (int i = 0; i < n; i++)
                {
                    var row = candidate.AsSpan(i * k, k);
                    for (int c = 0; c < k; c++)
                    {
                        row[c] = y[(i * k) + c] - (trial * gradient[(i * k) + c]);
                    }

                    ProjectOntoSimplex(row, sorted);
                }

                candidateValue = Objective(sigma, candidate, n, k, prior, lambda, columnSums);
                double decrease = 0;
                for (int j = 0; j < y.Length; j++)
                {
                    decrease += gradient[j] * (candidate[j] - y[j]);
                }

                // +∞ (some σ_i·y_i or ȳ_k reached 0 after projection) is never accepted.
                accepted = double.IsFinite(candidateValue) && candidateValue <= value
                    && candidateValue <= value + (SufficientDecrease * decrease);
                if (!accepted)
                {
                    trial /= 2;
                }
            }

            double maxChange = 0;
            if (accepted)
            {
                for (int j = 0; j < y.Length; j++)
                {
                    maxChange = Math.Max(maxChange, Math.Abs(candidate[j] - y[j]));
                }

                (y, candidate) = (candidate, y);
                value = candidateValue;
                step = trial;
            }

            objective.Add(value);
            if (maxChange < options.Tolerance)
            {
                converged = true;
                break;
            }
        }

        var labels = probs.Backend.FromArray(Array.ConvertAll(y, v => (float)v), n, k);
        return new PseudoLabelResult(labels, objective.Count, [.. objective], converged);
    }

    /// <summary>F(Y) in float64; leaves the column sums of Y in <paramref name="columnSums"/>.</summary>
    private static double Objective(double[] sigma, double[] y, int n, int k, double[] prior, double lambda, double[] columnSums)
    {
        Array.Clear(columnSums);
        double negativeLog = 0;
        for (int i = 0; i < n; i++)
        {
            double d = 0;
            for (int c = 0; c < k; c++)
            {
                double v = y[(i * k) + c];
                d += sigma[(i * k) + c] * v;
                columnSums[c] += v;
            }

            negativeLog -= Math.Log(d);
        }

        return SelfLabelObjective.Value(negativeLog, n, columnSums, prior, lambda);
    }

    /// <summary>∂F/∂y_ik = −σ_ik / (N d_i) − λ u_k / s_k (s_k = N ȳ_k), with d and s floored.</summary>
    private static void Gradient(double[] sigma, double[] y, int n, int k, double[] prior, double lambda, double[] columnSums, double[] gradient)
    {
        Array.Clear(columnSums);
        for (int j = 0; j < y.Length; j++)
        {
            columnSums[j % k] += y[j];
        }

        for (int i = 0; i < n; i++)
        {
            double d = 0;
            for (int c = 0; c < k; c++)
            {
                d += sigma[(i * k) + c] * y[(i * k) + c];
            }

            double scale = 1.0 / (n * Math.Max(d, GradientFloor));
            for (int c = 0; c < k; c++)
            {
                double fairness = lambda == 0 ? 0 : lambda * prior[c] / Math.Max(columnSums[c], GradientFloor);
                gradient[(i * k) + c] = -(sigma[(i * k) + c] * scale) - fairness;
            }
        }
    }

    /// <summary>
    /// Euclidean projection of <paramref name="row"/> onto the simplex, in place: x = max(v − θ, 0)
    /// with θ from the sorted values (the largest prefix whose entries stay above θ).
    /// </summary>
    internal static void ProjectOntoSimplex(Span<double> row, double[] sorted)
    {
        row.CopyTo(sorted);
        Array.Sort(sorted);
        double cumulative = 0;
        double theta = 0;
        for (int j = 0; j < sorted.Length; j++)
        {
            double value = sorted[sorted.Length - 1 - j];
            cumulative += value;
            double candidate = (cumulative - 1) / (j + 1);
            if (value - candidate <= 0)
            {
                break;
            }

            theta = candidate;
        }

        for (int c = 0; c < row.Length; c++)
        {
            row[c] = Math.Max(row[c] - theta, 0);
        }
    }
}
