namespace GpuSelfLabel;

/// <summary>Options of ops.md §1.</summary>
/// <param name="Temperature">τ &gt; 0: logits are divided by it (default 1).</param>
public sealed record SoftmaxOptions(double Temperature = 1.0);
