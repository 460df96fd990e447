namespace GpuSelfLabel.Backends;

/// <summary>
/// What each backend implements. Declared as a partial interface, one file per operation family
/// (<c>IBackendKernels.Softmax.cs</c> …), so that families grow independently. Arguments reaching
/// these methods are already validated by the public facades: shapes agree, values are finite.
/// </summary>
internal partial interface IBackendKernels
{
    /// <summary>
    /// The first row of a float32 tensor (seen as Rows × Columns) that breaks <paramref name="check"/>,
    /// or -1. <paramref name="problem"/> then says what is wrong in words, naming the column.
    /// <paramref name="scratch"/> is the caller's float64 workspace of at least
    /// Backend.ScanScratchElements(Rows) elements, reused by every scan of the check: a check allocates
    /// no device memory.
    /// </summary>
    long FindInvalidRow(Tensor tensor, RowCheck check, Tensor scratch, out string problem);
}

/// <summary>Data rules the public API enforces before any computation.</summary>
internal enum RowCheck
{
    /// <summary>Every entry finite.</summary>
    Finite,
    /// <summary>Every entry finite and ≥ 0, every row sum within 1e-3 of 1 (targets).</summary>
    Distribution,
    /// <summary>Every entry finite and &gt; 0, every row sum within 1e-3 of 1 (EM start).</summary>
    PositiveDistribution,
}
