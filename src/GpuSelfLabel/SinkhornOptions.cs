namespace GpuSelfLabel;

/// <summary>Options of ops.md §5 (SeLa Sinkhorn-Knopp); the defaults are the seed's settings.</summary>
/// <param name="Lambda">λ &gt; 0: P_ik = σ_ik^λ (default 25).</param>
/// <param name="Tolerance">The loop stops once err = Σ_i |c_i / c'_i − 1| ≤ tol (default 0.1).</param>
/// <param name="CheckEvery">err is evaluated when t mod checkEvery = 0 (default 10).</param>
/// <param name="MaxIterations">Upper bound on the iteration count t, at least 1 (default 1000).</param>
/// <param name="ComputeCodes">Also return the soft codes Q̂ (rows sum to 1).</param>
public sealed record SinkhornOptions(
    double Lambda = 25,
    double Tolerance = 0.1,
    int CheckEvery = 10,
    int MaxIterations = 1000,
    bool ComputeCodes = false);
