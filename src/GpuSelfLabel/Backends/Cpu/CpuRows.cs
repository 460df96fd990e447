namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Row access and row-parallel loops over float32 tensors in host memory. Rows are addressed through
/// spans one row long, so matrices beyond 2^31 elements (ImageNet × 3000) work unchanged.
/// </summary>
internal static class CpuRows
{
    /// <summary>Elements of work a parallel block should hold before splitting pays off.</summary>
    private const long ElementsPerBlock = 1 << 15;

    public static unsafe Span<float> Row(Tensor tensor, long row)
    {
        long cols = tensor.Columns;
        var basePtr = (float*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset);
        return new Span<float>(basePtr + (row * cols), checked((int)cols));
    }

    public static unsafe Span<float> All(Tensor tensor) =>
        new((float*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset), checked((int)tensor.Length));

    /// <summary>
    /// Runs <paramref name="body"/>(firstRow, endRow) over blocks of rows. The block boundaries depend
    /// only on the shape, so block-level partial sums reduce to the same value on any machine.
    /// </summary>
    public static void ForBlocks(long rows, long columns, Action<long, long> body)
    {
        long rowsPerBlock = BlockRows(rows, columns);
        long blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        if (blocks <= 1)
        {
            body(0, rows);
            return;
        }

        Parallel.For(0L, blocks, b => body(b * rowsPerBlock, Math.Min(rows, (b + 1) * rowsPerBlock)));
    }

    /// <summary>Rows per block for <see cref="ForBlocks"/>; exposed so reductions can size their partials.</summary>
    public static long BlockRows(long rows, long columns) =>
        Math.Clamp(ElementsPerBlock / Math.Max(1, columns), 1, Math.Max(1, rows));

    /// <summary>Number of blocks <see cref="ForBlocks"/> will use.</summary>
    public static long BlockCount(long rows, long columns)
    {
        long r = BlockRows(rows, columns);
        return (rows + r - 1) / r;
    }
}
