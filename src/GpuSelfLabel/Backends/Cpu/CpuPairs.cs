namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Float64 values kept in float32 tensors as (hi, lo) pairs: a tensor of shape (2, …) holds all hi
/// parts, then all lo parts, and value = hi + lo carries about 48 significant bits.
/// </summary>
internal static class CpuPairs
{
    public static double[] Read(Tensor pairs)
    {
        var all = CpuRows.All(pairs);
        int half = all.Length / 2;
        var values = new double[half];
        for (int i = 0; i < half; i++)
        {
            values[i] = (double)all[i] + all[half + i];
        }

        return values;
    }

    public static void Write(Tensor pairs, ReadOnlySpan<double> values)
    {
        var all = CpuRows.All(pairs);
        int half = all.Length / 2;
        for (int i = 0; i < half; i++)
        {
            Set(all, half, i, values[i]);
        }
    }

    public static void Set(Span<float> all, int half, long index, double value)
    {
        float hi = (float)value;
        all[(int)index] = hi;
        all[(int)(half + index)] = (float)(value - hi);
    }
}
