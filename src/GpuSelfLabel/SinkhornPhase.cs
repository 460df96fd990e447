namespace GpuSelfLabel;

/// <summary>Which pass over the score matrix a <see cref="SinkhornProgress"/> report belongs to.</summary>
public enum SinkhornPhase
{
    /// <summary>The row log-sum-exps of λ·z and the first r, before the iterations (two passes).</summary>
    Setup,
    /// <summary>One fused iteration of ops.md §5: c' from r, the error, the next column sums.</summary>
    Iteration,
    /// <summary>An extra column log-sum-exp pass when a column sum underflowed float64.</summary>
    Recovery,
    /// <summary>Labels, log c and the optional codes from the last iterate.</summary>
    Finalize,
}
