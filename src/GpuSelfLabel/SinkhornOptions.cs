namespace GpuSelfLabel;

/// <summary>Options of ops.md §5 (SeLa Sinkhorn-Knopp); the defaults are the seed's settings.</summary>
/// <param name="Lambda">λ &gt; 0: P_ik = σ_ik^λ (default 25).</param>
/// <param name="Tolerance">The loop stops once err = Σ_i |c_i / c'_i − 1| ≤ tol (default 0.1; ≥ 0, and 0 means never stop early: run exactly <paramref name="MaxIterations"/>).</param>
/// <param name="CheckEvery">err is evaluated when t mod checkEvery = 0 (default 10).</param>
/// <param name="MaxIterations">Upper bound on the iteration count t, at least 1 (default 1000).</param>
/// <param name="ComputeCodes">Also return the soft codes Q̂ (rows sum to 1).</param>
/// <param name="ChunkRows">
/// Rows per chunk of every pass over the matrix; null picks the largest chunk the memory budget
/// allows for a streamed matrix (a resident one is read in chunks of about 64 M elements on the CPU,
/// whole on a GPU). Results agree with an unchunked solve within the accuracy contract.
/// </param>
/// <param name="MemoryBudget">
/// Bytes of the solving backend's memory the solver may allocate (vectors, outputs, staging chunks);
/// null takes what the device reports (available RAM on the CPU, 90 % of a GPU's memory).
/// </param>
public sealed record SinkhornOptions(
    double Lambda = 25,
    double Tolerance = 0.1,
    int CheckEvery = 10,
    int MaxIterations = 1000,
    bool ComputeCodes = false,
    long? ChunkRows = null,
    long? MemoryBudget = null)
{
    /// <summary>
    /// Below this a column sum has lost digits to subnormals (or is 0), and r is taken from a column
    /// log-sum-exp pass instead. Not a user setting: tests raise it to send a solve down that path,
    /// which well-posed float64 data almost never takes.
    /// </summary>
    internal double SmallestTrustedColumnSum { get; init; } = 1e-290;
}
