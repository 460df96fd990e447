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

    /// <summary>The key of +0, also given to −0: equal values must get equal keys so that ties break by index alone.</summary>
    public const uint Zero = 0x8000_0000u;

    /// <summary>Order-preserving key of a finite float (negatives have all bits flipped, positives the sign bit set).</summary>
    public static uint FromSingle(float value)
    {
        if (value == 0f)
        {
            return Zero;
        }

        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    /// <summary>The float whose key is <paramref name="key"/>.</summary>
    public static float ToSingle(uint key) =>
        BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);
}
