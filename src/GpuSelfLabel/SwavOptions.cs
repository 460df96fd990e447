namespace GpuSelfLabel;

/// <summary>Options of ops.md §6 (SwAV in-batch Sinkhorn-Knopp).</summary>
/// <param name="Epsilon">ε &gt; 0: Q ∝ exp(S/ε) before the normalisations (default 0.05).</param>
/// <param name="Iterations">Number n ≥ 0 of column-then-row normalisation rounds (default 3).</param>
public sealed record SwavOptions(double Epsilon = 0.05, int Iterations = 3);
