namespace GpuSelfLabel.Backends;

/// <summary>
/// F(Y) = (1/N) Σ_i −ln(σ_i·y_i) + λ·KL(u ‖ ȳ) of ops.md §4, from the two statistics every pass
/// produces: Σ_i −ln(σ_i·y_i) and the column sums s (ȳ = s/N). It sits above the backends, as
/// RowRules does, because the CPU backend's em_track reference and the EM driver share it.
/// </summary>
internal static class SelfLabelObjective
{
    public static double Value(double negativeLogCollision, long rows, ReadOnlySpan<double> columnSums, ReadOnlySpan<double> prior, double lambda)
    {
        double value = negativeLogCollision / rows;

        // λ = 0 drops the fairness term entirely; 0·∞ (an empty column) must not turn F into NaN.
        return lambda == 0 ? value : value + (lambda * Divergence(columnSums, rows, prior));
    }

    /// <summary>KL(u ‖ ȳ) = Σ_k u_k ln(u_k / ȳ_k); +∞ when some ȳ_k is 0.</summary>
    public static double Divergence(ReadOnlySpan<double> columnSums, long rows, ReadOnlySpan<double> prior)
    {
        double sum = 0;
        for (int k = 0; k < prior.Length; k++)
        {
            sum += prior[k] * Math.Log(prior[k] * rows / columnSums[k]);
        }

        return sum;
    }

    /// <summary>The EM weights w_k = λ N u_k / s_k, 0 for an empty column (whose entries are all 0).</summary>
    public static void Weights(ReadOnlySpan<double> columnSums, long rows, ReadOnlySpan<double> prior, double lambda, Span<double> weights)
    {
        for (int k = 0; k < prior.Length; k++)
        {
            weights[k] = columnSums[k] > 0 ? lambda * rows * prior[k] / columnSums[k] : 0;
        }
    }
}
