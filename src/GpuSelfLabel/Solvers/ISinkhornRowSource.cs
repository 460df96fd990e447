namespace GpuSelfLabel.Solvers;

/// <summary>
/// Where the SeLa driver gets the rows of the score matrix, one chunk at a time: in place
/// (<see cref="ResidentRowSource"/>), copied from the other side of a host–device boundary
/// (<see cref="StreamedRowSource"/>), or recomputed from features (<see cref="FeatureRowSource"/>).
/// </summary>
internal interface ISinkhornRowSource : IDisposable
{
    /// <summary>
    /// Rows [<paramref name="firstRow"/>, +<paramref name="count"/>) of head <paramref name="head"/> as a
    /// count×K matrix on the solving backend, in the storage type; valid until the next call.
    /// <paramref name="count"/> never exceeds the plan's chunk rows.
    /// </summary>
    Tensor Rows(int head, long firstRow, long count);
}
