using System.Globalization;

namespace GpuSelfLabel;

/// <summary>
/// What a SeLa solve will read and allocate, computed before any work starts
/// (<see cref="Sinkhorn.PlanSeLa"/>): the score matrix, how it is cut into chunks, and the bytes the
/// solver allocates on the solving backend against its budget.
/// </summary>
/// <param name="Backend">The solving backend in words.</param>
/// <param name="Source">How the matrix reaches it.</param>
/// <param name="Heads">Number of heads H.</param>
/// <param name="Rows">Rows N per head.</param>
/// <param name="Columns">Clusters K.</param>
/// <param name="StorageType">Element type of the score matrix as the passes read it.</param>
/// <param name="FeatureDimension">D for a <see cref="SinkhornSourceKind.Features"/> problem, else 0.</param>
/// <param name="MatrixBytes">H·N·K elements of the storage type: what one pass over every head reads (computed, for features).</param>
/// <param name="ChunkRows">Rows per chunk.</param>
/// <param name="ChunksPerPass">Chunks in one pass over one head.</param>
/// <param name="StagingBytes">Device memory for the chunk being copied in or recomputed (0 for a resident matrix).</param>
/// <param name="VectorBytes">N- and K-vectors of the iteration and the reductions' scratch.</param>
/// <param name="OutputBytes">log r, log c, labels and, when asked for, the codes.</param>
/// <param name="BudgetBytes">What the solver may allocate on the solving backend.</param>
public sealed record SinkhornMemoryPlan(
    string Backend,
    SinkhornSourceKind Source,
    int Heads,
    long Rows,
    long Columns,
    DType StorageType,
    long FeatureDimension,
    long MatrixBytes,
    long ChunkRows,
    long ChunksPerPass,
    long StagingBytes,
    long VectorBytes,
    long OutputBytes,
    long BudgetBytes)
{
    /// <summary>Everything the solver allocates on the solving backend.</summary>
    public long AllocatedBytes => StagingBytes + VectorBytes + OutputBytes;

    /// <summary>Bytes of the score matrix one iteration reads for one head.</summary>
    public long BytesPerIteration => MatrixBytes / Heads;

    /// <summary>The plan in a few lines of text, for a human summary.</summary>
    public IReadOnlyList<string> Describe()
    {
        string source = Source switch
        {
            SinkhornSourceKind.Resident => "resident on the solving device",
            SinkhornSourceKind.Streamed => "in host memory, streamed to the device in chunks",
            _ => $"recomputed per chunk from features (D = {FeatureDimension}) and a classifier",
        };
        string type = StorageType switch
        {
            DType.Float16 => "float16",
            DType.BFloat16 => "bfloat16",
            _ => "float32",
        };
        return
        [
            $"backend      {Backend}",
            $"matrix       {Heads} × {Rows:N0} × {Columns:N0} {type}, {Bytes(MatrixBytes)} ({source})",
            $"chunks       {ChunkRows:N0} rows, {ChunksPerPass:N0} per pass",
            $"allocated    {Bytes(AllocatedBytes)} of a {Bytes(BudgetBytes)} budget: staging {Bytes(StagingBytes)}, vectors {Bytes(VectorBytes)}, outputs {Bytes(OutputBytes)}",
        ];
    }

    /// <summary>A byte count in binary units, e.g. "7.16 GiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:F2} {units[unit]}");
    }
}
