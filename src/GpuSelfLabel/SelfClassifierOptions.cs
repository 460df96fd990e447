namespace GpuSelfLabel;

/// <summary>Options of ops.md §7.</summary>
/// <param name="TauRow">τ_r in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: temperature of the per-sample softmax over classes (default 0.1).</param>
/// <param name="TauCol">τ_c in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: temperature of the per-class softmax over the batch (default 0.05).</param>
/// <param name="GlobalViews">G: views 0..G−1 are global, the rest local; pairs of two local views are left out (default: all V views global).</param>
/// <param name="Epsilon">
/// ε in [<see cref="MinEpsilon"/>, <see cref="MaxEpsilon"/>]: the floor of the normalisers Σ_y A and Σ_n R
/// and the offset inside ln((N/C)·P + ε) (default 1e-12, ops.md's value).
/// </param>
public sealed record SelfClassifierOptions(double TauRow = 0.1, double TauCol = 0.05, int? GlobalViews = null, double Epsilon = 1e-12)
{
    /// <summary>
    /// The smallest τ_r and τ_c. The loss sums logs of softmaxes taken over both axes at 1/τ; below about
    /// 1e-12 their float32 gradient and the loss's cancellations break (NaN gradients, a negative loss),
    /// so the range keeps six orders of magnitude of margin from that and from the defaults.
    /// </summary>
    public const double MinTemperature = 1e-6;

    /// <summary>The largest τ_r and τ_c.</summary>
    public const double MaxTemperature = 1e6;

    /// <summary>
    /// The smallest ε. ε must be positive (ln((N/C)·P + ε) is −∞ where P underflows to 0); from 1e-30 on
    /// ln ε ≥ −69, so every loss term and clamped normaliser stays far inside float32 and float64.
    /// </summary>
    public const double MinEpsilon = 1e-30;

    /// <summary>The largest ε: beyond 1 the offset outweighs (N/C)·P itself, whose mean is 1.</summary>
    public const double MaxEpsilon = 1;

    /// <summary>Checks the temperatures and ε against their ranges (GslArgumentException naming "tau-row", "tau-col" or "epsilon").</summary>
    internal void Validate()
    {
        Validation.Guard.InRange(TauRow, MinTemperature, MaxTemperature, "tau-row");
        Validation.Guard.InRange(TauCol, MinTemperature, MaxTemperature, "tau-col");
        Validation.Guard.InRange(Epsilon, MinEpsilon, MaxEpsilon, "epsilon");
    }
}
