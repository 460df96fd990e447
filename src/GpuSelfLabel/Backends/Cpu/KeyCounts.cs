using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuSelfLabel.Selection;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// One thread's histogram of <see cref="OrderedKey"/> digits. A dense pass over narrow digits (up to
/// 2^12 bins) counts into four uint32 copies in turn: consecutive entries of a concentrated
/// distribution (probabilities, whose keys share a few exponents) would otherwise increment the same
/// counter back to back and wait on each other's store, and uint32 keeps the four copies of 2048 bins
/// in 32 KB, within the first-level cache. Wide digits (2^16 bins) spread such runs over many bins
/// already and keep one copy (256 KB), which stays in the second-level cache.
/// <see cref="Flush"/> folds them into the int64 <see cref="Totals"/> before any copy could overflow.
/// </summary>
internal sealed class KeyCounts
{
    private const int Ways = 4;
    private const int MaxInterleavedBits = 12;

    private readonly uint[] ways;
    private readonly int bins;

    /// <summary>Distance between the copies: one bin count, or 0 when the four ways share one copy.</summary>
    private readonly int stride;
    private long pending;

    /// <param name="binBits">Digit width; the histogram has 2^binBits bins.</param>
    /// <param name="dense">Whether <see cref="AddAll"/> will be used (allocates the uint32 copies).</param>
    public KeyCounts(int binBits, bool dense)
    {
        bins = 1 << binBits;
        Totals = new long[bins];
        stride = binBits <= MaxInterleavedBits ? bins : 0;
        ways = dense ? new uint[binBits <= MaxInterleavedBits ? Ways * bins : bins] : [];
    }

    /// <summary>The int64 counts; complete after <see cref="Flush"/>.</summary>
    public long[] Totals { get; }

    /// <summary>Counts every entry of <paramref name="row"/> in bin key >> <paramref name="shift"/> (shift = 32 − binBits).</summary>
    public void AddAll(ReadOnlySpan<float> row, int shift)
    {
        if (pending + row.Length > uint.MaxValue)
        {
            Flush();
        }

        pending += row.Length;
        ref uint w0 = ref MemoryMarshal.GetArrayDataReference(ways);
        ref uint w1 = ref Unsafe.Add(ref w0, stride);
        ref uint w2 = ref Unsafe.Add(ref w1, stride);
        ref uint w3 = ref Unsafe.Add(ref w2, stride);
        ref float s = ref MemoryMarshal.GetReference(row);

        // Keys and bins a vector at a time (half the cost of the scalar key per entry), then the
        // increments from a small buffer; key >> (32 − binBits) is below 2^binBits, inside every copy.
        Span<uint> bin = stackalloc uint[Vector<uint>.Count];
        ref uint b = ref MemoryMarshal.GetReference(bin);
        int j = 0;
        for (; j <= row.Length - bin.Length; j += bin.Length)
        {
            Vector.ShiftRightLogical(KeyRows.Keys(Vector.LoadUnsafe(ref s, (nuint)j)), shift).StoreUnsafe(ref b);
            for (int k = 0; k < bin.Length; k += Ways)
            {
                Unsafe.Add(ref w0, (nint)Unsafe.Add(ref b, k))++;
                Unsafe.Add(ref w1, (nint)Unsafe.Add(ref b, k + 1))++;
                Unsafe.Add(ref w2, (nint)Unsafe.Add(ref b, k + 2))++;
                Unsafe.Add(ref w3, (nint)Unsafe.Add(ref b, k + 3))++;
            }
        }

        for (; j < row.Length; j++)
        {
            Unsafe.Add(ref w0, (nint)(OrderedKey.FromSingle(Unsafe.Add(ref s, j)) >> shift))++;
        }
    }

    /// <summary>Adds the uint32 copies into <see cref="Totals"/> and clears them.</summary>
    public void Flush()
    {
        for (int w = 0; w < ways.Length; w += bins)
        {
            for (int b = 0; b < bins; b++)
            {
                Totals[b] += ways[w + b];
            }
        }

        Array.Clear(ways);
        pending = 0;
    }
}
