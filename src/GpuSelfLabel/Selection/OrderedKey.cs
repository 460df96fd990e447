using System.Numerics;

namespace GpuSelfLabel.Selection;

/// <summary>
/// Maps float32 values to uint32 keys whose unsigned order is the values' numeric order, so that a
/// global order statistic becomes a radix select over key bits (histogram the top bits, narrow,
/// repeat): O(n) and parallel on every backend, where a sort would be O(n log n).
/// </summary>
internal static class OrderedKey
{
    /// <summary>Key bits examined per round, most significant first; together 32.</summary>
    public static ReadOnlySpan<int> RoundBits => [11, 11, 10];

    /// <summary>
    /// Order-preserving key of a finite float: negatives get all bits flipped, positives the sign bit
    /// set. Adding +0 first turns −0 into +0 (IEEE), which the JIT may not fold away.
    /// </summary>
    public static uint FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value + 0f);
        return bits ^ ((uint)((int)bits >> 31) | 0x8000_0000u);
    }

    /// <summary>
    /// The number of ±∞ and NaN entries counted in a histogram of the top log2(length) key bits, or
    /// null when the bins are wider than sign and exponent (fewer than 9 bits). Keys of +∞ and
    /// positive NaNs have their top 9 bits all ones, those of −∞ and negative NaNs all zeros, and no
    /// finite value shares either pattern, so these are whole bins at both ends.
    /// </summary>
    public static long? NonFiniteCount(ReadOnlySpan<long> histogram)
    {
        int bits = BitOperations.Log2((uint)histogram.Length);
        if (bits < 9)
        {
            return null;
        }

        int edge = 1 << (bits - 9);
        long count = 0;
        foreach (long c in histogram[..edge])
        {
            count += c;
        }

        foreach (long c in histogram[^edge..])
        {
            count += c;
        }

        return count;
    }

    /// <summary>The float whose key is <paramref name="key"/>.</summary>
    public static float ToSingle(uint key) =>
        BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);
}
