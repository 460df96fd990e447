namespace GpuSelfLabel;

/// <summary>Options of ops.md §7.</summary>
/// <param name="TauRow">τ_r in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: temperature of the per-sample softmax over classes (default 0.1).</param>
/// <param name="TauCol">τ_c in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: temperature of the per-class softmax over the batch (default 0.05).</param>
/// <param name="GlobalViews">G: views 0..G−1 are global, the rest local; pairs of two local views are left out (default: all V views global).</param>
public sealed record SelfClassifierOptions(double TauRow = 0.1, double TauCol = 0.05, int? GlobalViews = null)
{
    /// <summary>
    /// The smallest τ_r and τ_c. The loss sums logs of softmaxes taken over both axes at 1/τ; below about
    /// 1e-12 their float32 gradient and the loss's cancellations break (NaN gradients, a negative loss),
    /// so the range keeps six orders of magnitude of margin from that and from the defaults.
    /// </summary>
    public const double MinTemperature = 1e-6;

    /// <summary>The largest τ_r and τ_c.</summary>
    public const double MaxTemperature = 1e6;

    /// <summary>Checks the temperatures against their range (GslArgumentException naming "tau-row" or "tau-col").</summary>
    internal void Validate()
    {
        Validation.Guard.InRange(TauRow, MinTemperature, MaxTemperature, "tau-row");
        Validation.Guard.InRange(TauCol, MinTemperature, MaxTemperature, "tau-col");
    }
}
