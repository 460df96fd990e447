namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// What the OpenCL and CUDA launchers of kernels/average_k.cu share: the histogram's grid (how the
/// flat entries are cut into chunks), the key-prefix test as a mask, and the host's fixed-order
/// reductions of the per-group partials.
/// </summary>
internal static class AverageKLaunch
{
    /// <summary>The most bins one histogram kernel holds in local memory (AVGK_MAX_BINS).</summary>
    public const int MaxBinBits = 11;

    /// <summary>Groups for the flat scans and the histogram: enough to fill a large GPU, few enough to download.</summary>
    public const int FlatGroups = 1024;

    /// <summary>Entries each work-item of the histogram handles at least, so that small inputs use few groups.</summary>
    private const long EntriesPerItem = 16;

    /// <summary>A chunk's count must fit the kernel's int32 local counts.</summary>
    private const long MaxChunk = 1L << 30;

    /// <summary>The histogram's grid: <paramref name="Groups"/> groups, each counting <paramref name="Chunk"/> consecutive entries.</summary>
    public readonly record struct HistogramGrid(long Groups, long Chunk);

    /// <summary>Cuts <paramref name="count"/> flat entries into one chunk per group of <paramref name="groupSize"/> work-items.</summary>
    public static HistogramGrid Histogram(long count, int groupSize, long? maxGroups)
    {
        long wanted = Math.Clamp(Ceiling(count, groupSize * EntriesPerItem), 1, Math.Min(maxGroups ?? FlatGroups, FlatGroups));
        long groups = Math.Max(wanted, Ceiling(count, MaxChunk));
        long chunk = Math.Max(1, Ceiling(count, groups));
        return new HistogramGrid(Math.Max(1, Ceiling(count, chunk)), chunk);
    }

    /// <summary>
    /// 8-byte elements of the Average-K scratch for a rows×columns score matrix (Backend.AverageKScratchElements).
    /// At its start, one pass at a time: the histogram's int32 counts per group and bin, the per-row tie
    /// counts or quota (int64), the per-group partials of the flat scans and the heads (at most
    /// <see cref="FlatGroups"/>, or one per row for the softmax head), or a validation scan's result per
    /// group; from <see cref="TotalsOffset"/> on, the histogram's int64 bin totals.
    /// </summary>
    public static long ScratchElements(long rows, long columns) => TotalsOffset(rows, columns) + (1L << MaxBinBits);

    /// <summary>Where the histogram's bin totals start in the Average-K scratch, 4 KiB-aligned.</summary>
    public static long TotalsOffset(long rows, long columns)
    {
        // The histogram's groups: at most FlatGroups (and one per 16 entries, whatever the group size),
        // unless the chunks would outgrow MaxChunk.
        long count = Math.Max(1, rows * columns);
        long histogramGroups = Math.Max(Math.Min(FlatGroups, Ceiling(count, EntriesPerItem)), Ceiling(count, MaxChunk));
        long counts = Ceiling(histogramGroups << MaxBinBits, 2);
        long perGroup = Math.Max(FlatGroups, LaunchShape.ScanGroups);
        return ScratchLayout.Aligned(Math.Max(counts, Math.Max(perGroup, rows)));
    }

    /// <summary>8-byte elements holding <paramref name="count"/> 4-byte values.</summary>
    public static long HalfElements(long count) => Ceiling(count, 2);

    /// <summary>Groups for a grid-stride scan over <paramref name="count"/> items with <paramref name="groupSize"/> work-items a group.</summary>
    public static long FlatGroupCount(long count, int groupSize, long? maxGroups) =>
        Math.Clamp(Ceiling(count, groupSize), 1, Math.Min(maxGroups ?? FlatGroups, FlatGroups));

    /// <summary>
    /// The kernel's prefix test (key &amp; mask) == value for "the top <paramref name="prefixBits"/> bits
    /// equal <paramref name="prefix"/>", and the shift that brings the next <paramref name="binBits"/> bits down.
    /// </summary>
    public static (uint Mask, uint Value, int BinShift) Prefix(uint prefix, int prefixBits, int binBits)
    {
        if (binBits < 1 || binBits > MaxBinBits || prefixBits < 0 || prefixBits + binBits > 32)
        {
            throw new InvalidOperationException($"average_k_key_histogram: {binBits} bin bits after {prefixBits} prefix bits (1 to {MaxBinBits} bin bits, at most 32 in all)");
        }

        // A shift by 32 is undefined in C and a no-op in C#, so the empty prefix is spelled out.
        int shift = 32 - prefixBits;
        return prefixBits == 0 ? (0u, 0u, shift - binBits) : (uint.MaxValue << shift, prefix << shift, shift - binBits);
    }

    /// <summary>Adds the downloaded bin totals to the caller's histogram.</summary>
    public static void AddTotals(long[] histogram, ReadOnlySpan<long> totals)
    {
        for (int b = 0; b < totals.Length; b++)
        {
            histogram[b] += totals[b];
        }
    }

    /// <summary>The float64 partials of the groups, added in group order.</summary>
    public static double Sum(ReadOnlySpan<double> partials)
    {
        double total = 0;
        foreach (double p in partials)
        {
            total += p;
        }

        return total;
    }

    /// <summary>The largest per-group key.</summary>
    public static uint Max(ReadOnlySpan<uint> partials)
    {
        uint best = uint.MinValue;
        foreach (uint p in partials)
        {
            best = Math.Max(best, p);
        }

        return best;
    }

    private static long Ceiling(long value, long divisor) => (value + divisor - 1) / divisor;
}
