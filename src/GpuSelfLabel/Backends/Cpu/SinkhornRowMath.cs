using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>Float64 row arithmetic and fixed-block row reductions shared by the Sinkhorn passes.</summary>
internal static class SinkhornRowMath
{
    /// <summary>
    /// Caps the per-block partial K-vectors a row reduction keeps (128·K doubles), so that N = 1.28M,
    /// K = 3000 needs 3 MB of partials rather than one vector per 10 rows.
    /// </summary>
    internal const int MaxReductionBlocks = 128;

    /// <summary>
    /// Arguments below this are raised to it before exp: e^-700 ≈ 1e-304 is nothing beside the terms ≥ 1
    /// every sum here contains, and the vectorised float64 exp leaves its fast path (30× slower) for
    /// arguments under about −708, which λ = 25 produces all the time.
    /// </summary>
    internal const double MinExponent = -700;

    /// <summary>x = exp(max(x, <see cref="MinExponent"/>)).</summary>
    internal static void ExpInPlace(Span<double> x)
    {
        TensorPrimitives.Max(x, MinExponent, x);
        TensorPrimitives.Exp(x, x);
    }

    /// <summary>x = scale·z in float64.</summary>
    internal static void ScaleRow(ReadOnlySpan<float> z, double scale, Span<double> x)
    {
        TensorPrimitives.ConvertChecked<float, double>(z, x);
        TensorPrimitives.Multiply(x, scale, x);
    }

    /// <summary>x = scale·z + addend in float64.</summary>
    internal static void ScaleRow(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> addend, Span<double> x)
    {
        TensorPrimitives.ConvertChecked<float, double>(z, x);
        TensorPrimitives.MultiplyAdd(x, scale, addend, x);
    }

    /// <summary>Returns LSE(x) and leaves exp(x − max) in x; <paramref name="sum"/> = Σ exp(x − max) ∈ [1, K].</summary>
    internal static double LogSumExpInPlace(Span<double> x, out double sum)
    {
        double max = TensorPrimitives.Max<double>(x);
        TensorPrimitives.Subtract(x, max, x);
        ExpInPlace(x);
        sum = TensorPrimitives.Sum<double>(x);
        return max + Math.Log(sum);
    }

    internal static double LogAddExp(double a, double b)
    {
        double max = Math.Max(a, b);
        return double.IsNegativeInfinity(max) ? max : max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }

    /// <summary>Ties go to the lowest index, as the spec's argmax demands.</summary>
    internal static long FirstIndexOfMax(ReadOnlySpan<double> x)
    {
        double max = TensorPrimitives.Max<double>(x);
        for (int j = 0; j < x.Length; j++)
        {
            if (x[j] == max)
            {
                return j;
            }
        }

        return 0;
    }

    /// <summary>
    /// Row blocks for a reduction: as many as <see cref="CpuRows.BlockCount"/> would use, at most
    /// <see cref="MaxReductionBlocks"/>. They depend only on the shape, so the block partials, combined
    /// in block order, give the same sums on any machine.
    /// </summary>
    internal static (int Count, long RowsPerBlock) ReductionBlocks(long rows, long columns)
    {
        long count = Math.Min(CpuRows.BlockCount(rows, columns), MaxReductionBlocks);
        long rowsPerBlock = (rows + count - 1) / count;
        return ((int)((rows + rowsPerBlock - 1) / rowsPerBlock), rowsPerBlock);
    }

    internal static void ForReductionBlocks(long rows, int count, long rowsPerBlock, Action<int, long, long> body)
    {
        if (count == 1)
        {
            body(0, 0, rows);
            return;
        }

        Parallel.For(0, count, b => body(b, b * rowsPerBlock, Math.Min(rows, (b + 1) * rowsPerBlock)));
    }

    internal static unsafe Span<double> Doubles(Tensor tensor) =>
        new((double*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset), checked((int)tensor.Length));

    internal static unsafe Span<long> Longs(Tensor tensor) =>
        new((long*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset), checked((int)tensor.Length));
}
