using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuSelfLabel.Selection;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// SIMD row scans over <see cref="OrderedKey"/> keys for the Average-K selection. The narrowing rounds
/// of the radix select look for a handful of keys in the whole matrix; comparing a vector of keys at a
/// time and touching lanes only where one matches leaves those scans bound by memory, not by a
/// per-entry branch. The scalar tails compute the same integer keys, so results are exact and positional.
/// </summary>
internal static class KeyRows
{
    private static int Width => Vector<float>.Count;

    /// <summary>The keys of a vector of floats, bit for bit <see cref="OrderedKey.FromSingle"/> (−0 keyed as +0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<uint> Keys(Vector<float> v)
    {
        var bits = Vector.AndNot(Vector.AsVectorUInt32(v), Vector.AsVectorUInt32(Vector.Equals(v, Vector<float>.Zero)));
        var flip = Vector.AsVectorUInt32(Vector.ShiftRightArithmetic(Vector.AsVectorInt32(bits), 31));
        return bits ^ (flip | new Vector<uint>(0x8000_0000u));
    }

    /// <summary>Counts, in bin (key >> binShift) &amp; binMask, the entries whose key >> prefixShift equals <paramref name="prefix"/>.</summary>
    public static void AddMatching(ReadOnlySpan<float> row, uint prefix, int prefixShift, int binShift, uint binMask, long[] histogram)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        var p = new Vector<uint>(prefix);
        int j = 0;
        for (; j <= row.Length - Width; j += Width)
        {
            var keys = Keys(Vector.LoadUnsafe(ref s, (nuint)j));
            var top = Vector.ShiftRightLogical(keys, prefixShift);
            if (Vector.EqualsAny(top, p))
            {
                for (int k = 0; k < Width; k++)
                {
                    if (top[k] == prefix)
                    {
                        histogram[(keys[k] >> binShift) & binMask]++;
                    }
                }
            }
        }

        for (; j < row.Length; j++)
        {
            uint key = OrderedKey.FromSingle(row[j]);
            if (key >> prefixShift == prefix)
            {
                histogram[(key >> binShift) & binMask]++;
            }
        }
    }

    /// <summary>Number of entries whose key equals <paramref name="key"/>.</summary>
    public static long CountEqual(ReadOnlySpan<float> row, uint key)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        var target = new Vector<uint>(key);
        var counts = Vector<int>.Zero;
        int j = 0;
        for (; j <= row.Length - Width; j += Width)
        {
            // A match is all ones, −1 as an integer.
            counts -= Vector.AsVectorInt32(Vector.Equals(Keys(Vector.LoadUnsafe(ref s, (nuint)j)), target));
        }

        long count = Vector.Sum(counts);
        for (; j < row.Length; j++)
        {
            if (OrderedKey.FromSingle(row[j]) == key)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// z_j = 1 where key_j &gt; <paramref name="key"/>, and at the first <paramref name="quota"/> columns
    /// other than <paramref name="skip"/> whose key equals it; else 0.
    /// </summary>
    public static void MarkRow(ReadOnlySpan<float> row, Span<float> z, uint key, long quota, int skip)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        ref float zr = ref MemoryMarshal.GetReference(z);
        var target = new Vector<uint>(key);
        int j = 0;
        for (; j <= row.Length - Width; j += Width)
        {
            var keys = Keys(Vector.LoadUnsafe(ref s, (nuint)j));
            var above = Vector.AsVectorSingle(Vector.GreaterThan(keys, target));
            Vector.ConditionalSelect(above, Vector<float>.One, Vector<float>.Zero).StoreUnsafe(ref zr, (nuint)j);
            if (quota > 0 && Vector.EqualsAny(keys, target))
            {
                for (int k = 0; k < Width && quota > 0; k++)
                {
                    if (keys[k] == key && j + k != skip)
                    {
                        z[j + k] = 1f;
                        quota--;
                    }
                }
            }
        }

        for (; j < row.Length; j++)
        {
            uint k = OrderedKey.FromSingle(row[j]);
            z[j] = k > key || (k == key && j != skip && quota-- > 0) ? 1f : 0f;
        }
    }

    /// <summary>The largest key below <paramref name="key"/> (0 when none is).</summary>
    public static uint MaxKeyBelow(ReadOnlySpan<float> row, uint key)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        var limit = new Vector<uint>(key);
        var best = Vector<uint>.Zero;
        int j = 0;
        for (; j <= row.Length - Width; j += Width)
        {
            var keys = Keys(Vector.LoadUnsafe(ref s, (nuint)j));
            best = Vector.Max(best, keys & Vector.LessThan(keys, limit));
        }

        uint max = 0;
        for (int k = 0; k < Width; k++)
        {
            max = Math.Max(max, best[k]);
        }

        for (; j < row.Length; j++)
        {
            uint k = OrderedKey.FromSingle(row[j]);
            if (k < key && k > max)
            {
                max = k;
            }
        }

        return max;
    }
}
