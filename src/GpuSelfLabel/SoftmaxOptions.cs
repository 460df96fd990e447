namespace GpuSelfLabel;

/// <summary>Options of ops.md §1.</summary>
/// <param name="Temperature">
/// τ in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]: logits are divided by it (default 1).
/// </param>
public sealed record SoftmaxOptions(double Temperature = 1.0)
{
    /// <summary>The smallest τ: 1/τ must stay a float32 (below 3.4e38), or (z − max)/τ turns into 0·∞ = NaN.</summary>
    public const double MinTemperature = 1e-30;

    /// <summary>The largest τ; beyond it τ itself leaves the float32 range.</summary>
    public const double MaxTemperature = 1e30;

    /// <summary>Checks <see cref="Temperature"/> against its range (GslArgumentException naming "temperature").</summary>
    internal void Validate() => Validation.Guard.InRange(Temperature, MinTemperature, MaxTemperature, "temperature");
}
