namespace GpuSelfLabel;

/// <summary>
/// One report of a running SeLa solve, sent after every chunk of every pass over the matrix (so a
/// progress bar moves within a long pass) and once more when the pass completes.
/// </summary>
/// <param name="Head">The head being solved, from 0.</param>
/// <param name="Heads">Number of heads H.</param>
/// <param name="Phase">Which pass this is.</param>
/// <param name="Iteration">Iterations completed (t of ops.md §5): before this pass while it runs, including it once it completes.</param>
/// <param name="MaxIterations">The iteration limit.</param>
/// <param name="Error">The last measured err = Σ_i |c_i / c'_i − 1| (∞ before the first measurement; a completed iteration that measured it reports the new value).</param>
/// <param name="RowsDone">Rows of this head the pass has read so far.</param>
/// <param name="Rows">Rows N of each head.</param>
/// <param name="Seconds">Time spent in this pass so far.</param>
/// <param name="Completed">True for the report that closes the pass.</param>
public readonly record struct SinkhornProgress(
    int Head,
    int Heads,
    SinkhornPhase Phase,
    int Iteration,
    int MaxIterations,
    double Error,
    long RowsDone,
    long Rows,
    double Seconds,
    bool Completed);
