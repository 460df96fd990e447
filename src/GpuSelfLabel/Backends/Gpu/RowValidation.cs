using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// The host half of FindInvalidRow on GPU backends. The device kernel (kernels/validation.cu)
/// finds the first row that may break a rule; the host downloads that one row and words the problem
/// with <see cref="RowRules.Problem"/>, so every backend reports the same row and sentence.
/// The kernel's float32 row sum is tested against a tolerance a little tighter than 1e-3, so it may
/// flag a row the float64 rule accepts; the host then resumes the scan after that row.
/// </summary>
internal static class RowValidation
{
    /// <summary>False alarms tolerated before the rest of the tensor is checked on the host instead.</summary>
    private const int MaxFalseAlarms = 16;

    /// <summary>Elements downloaded at a time when checking on the host.</summary>
    private const long HostChunkElements = 1 << 22;

    /// <summary>The <c>check</c> argument of validate_rows.</summary>
    public static int KernelCode(RowCheck check) => check switch
    {
        RowCheck.Finite => 0,
        RowCheck.Distribution => 1,
        RowCheck.PositiveDistribution => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, "unknown row check"),
    };

    /// <summary>
    /// The <c>sum_tolerance</c> argument of validate_rows: 1e-3 less twice the rounding bound of its
    /// float32 sum (each work-item adds ⌈K/L⌉ values, then log2 L tree levels, each step within 2^-24
    /// of a sum near 1), so every row whose exact sum is off by more than 1e-3 is flagged.
    /// </summary>
    public static float SumTolerance(long columns, int localSize)
    {
        long perItem = (columns + localSize - 1) / localSize;
        double margin = (perItem + Math.Log2(localSize) + 2) * Math.Pow(2, -23);
        return (float)Math.Max(0, 1e-3 - margin);
    }

    /// <summary>The smallest entry ≥ 0 of the per-group results, or −1.</summary>
    public static long FirstFlagged(ReadOnlySpan<long> perGroup)
    {
        long first = -1;
        foreach (var row in perGroup)
        {
            if (row >= 0 && (first < 0 || row < first))
            {
                first = row;
            }
        }

        return first;
    }

    /// <summary>
    /// The first invalid row of <paramref name="tensor"/> or −1, given <paramref name="scan"/>: a
    /// device pass returning the first suspect row at or after its argument, or −1.
    /// </summary>
    public static long Find(Backend backend, Tensor tensor, RowCheck check, Func<long, long> scan, out string problem)
    {
        long rows = tensor.Rows;
        var row = new float[checked((int)tensor.Columns)];
        long start = 0;
        int falseAlarms = 0;
        while (start < rows)
        {
            if (falseAlarms == MaxFalseAlarms)
            {
                return ScanOnHost(backend, tensor, check, start, out problem);
            }

            long suspect = scan(start);
            if (suspect < 0)
            {
                break;
            }

            DownloadRows(backend, tensor, suspect, row);
            if (RowRules.Problem(row, check) is { } p)
            {
                problem = p;
                return suspect;
            }

            falseAlarms++;
            start = suspect + 1;
        }

        problem = string.Empty;
        return -1;
    }

    private static long ScanOnHost(Backend backend, Tensor tensor, RowCheck check, long start, out string problem)
    {
        long cols = tensor.Columns;
        long chunkRows = Math.Max(1, HostChunkElements / cols);
        var chunk = new float[checked((int)(Math.Min(chunkRows, tensor.Rows - start) * cols))];
        for (long first = start; first < tensor.Rows; first += chunkRows)
        {
            long count = Math.Min(chunkRows, tensor.Rows - first);
            var part = chunk.AsSpan(0, (int)(count * cols));
            DownloadRows(backend, tensor, first, part);
            for (long i = 0; i < count; i++)
            {
                if (RowRules.Problem(part.Slice((int)(i * cols), (int)cols), check) is { } p)
                {
                    problem = p;
                    return first + i;
                }
            }
        }

        problem = string.Empty;
        return -1;
    }

    /// <summary>Rows from <paramref name="firstRow"/> on as float32, whatever the storage type (float16 and bfloat16 convert exactly).</summary>
    private static void DownloadRows(Backend backend, Tensor tensor, long firstRow, Span<float> destination)
    {
        long size = tensor.DType.SizeInBytes();
        long offset = tensor.ByteOffset + (firstRow * tensor.Columns * size);
        if (tensor.DType == DType.Float32)
        {
            backend.Download(tensor.Buffer, offset, MemoryMarshal.AsBytes(destination));
            return;
        }

        var raw = new ushort[destination.Length];
        backend.Download(tensor.Buffer, offset, MemoryMarshal.AsBytes(raw.AsSpan()));
        StorageConversion.ToSingle(tensor.DType, raw, destination);
    }
}
