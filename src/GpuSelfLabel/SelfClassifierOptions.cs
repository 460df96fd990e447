namespace GpuSelfLabel;

/// <summary>Options of ops.md §7.</summary>
/// <param name="TauRow">τ_r &gt; 0: temperature of the per-sample softmax over classes (default 0.1).</param>
/// <param name="TauCol">τ_c &gt; 0: temperature of the per-class softmax over the batch (default 0.05).</param>
/// <param name="GlobalViews">G: views 0..G−1 are global, the rest local; pairs of two local views are left out (default: all V views global).</param>
public sealed record SelfClassifierOptions(double TauRow = 0.1, double TauCol = 0.05, int? GlobalViews = null);
