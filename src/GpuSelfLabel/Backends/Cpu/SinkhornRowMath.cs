using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The row arithmetic of the Sinkhorn passes and their fixed-block row reductions. Every argument
/// x_k = scale·(z_k − o) + v_k + c is formed in float64 (it reaches thousands for λ = 25 and extreme
/// logits, and its differences must stay exact to 1e-7); each exponential is taken of a max-shifted,
/// hence non-positive, argument rounded to float32 only then, with <see cref="SingleExp"/>; every sum
/// of exponentials accumulates in float64. The vector loops and their scalar tails do the same
/// arithmetic (one subtraction and one fused multiply-add per x_k), so a value never depends on its
/// position in a row.
/// <para>
/// The origin o is the row's own maximum logit in the SeLa passes (0 elsewhere): z_k − o is exact, 0
/// for every entry tied with the maximum, so a row's magnitude never enters the float64 sums. Formed
/// as scale·z_k + … instead, a row of logits near 1e15 would leave the O(1) terms that split tied
/// entries below float64's resolution of those sums.
/// </para>
/// </summary>
internal static class SinkhornRowMath
{
    /// <summary>
    /// Caps the per-block partial K-vectors a row reduction keeps (128·K doubles), so that N = 1.28M,
    /// K = 3000 needs 3 MB of partials rather than one vector per 10 rows.
    /// </summary>
    internal const int MaxReductionBlocks = 128;

    /// <summary>Arguments of the float64 exponentials are raised to this (see <see cref="PreciseLogSumExpOfAffine"/>).</summary>
    private const double PreciseMinExponent = -700;

    private static int Width => Vector<float>.Count;

    /// <summary>max_k (scale·(z_k − origin) + v_k).</summary>
    internal static double MaxOfAffine(ReadOnlySpan<float> z, double origin, double scale, ReadOnlySpan<double> v)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref double vr = ref MemoryMarshal.GetReference(v);
        var s = new Vector<double>(scale);
        var o = new Vector<double>(origin);
        var max0 = new Vector<double>(double.NegativeInfinity);
        var max1 = max0;
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= z.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref zr, (nuint)k), out var z0, out var z1);
            max0 = Vector.Max(max0, Vector.FusedMultiplyAdd(z0 - o, s, Vector.LoadUnsafe(ref vr, (nuint)k)));
            max1 = Vector.Max(max1, Vector.FusedMultiplyAdd(z1 - o, s, Vector.LoadUnsafe(ref vr, (nuint)(k + half))));
        }

        double max = double.NegativeInfinity;
        var both = Vector.Max(max0, max1);
        for (int j = 0; j < half; j++)
        {
            max = Math.Max(max, both[j]);
        }

        for (; k < z.Length; k++)
        {
            max = Math.Max(max, Math.FusedMultiplyAdd(z[k] - origin, scale, v[k]));
        }

        return max;
    }

    /// <summary>max_k = max(max_k, scale·(z_k − origin) + c) for every column k.</summary>
    internal static void ColumnMaxOfAffine(ReadOnlySpan<float> z, double origin, double scale, double c, Span<double> max)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref double mr = ref MemoryMarshal.GetReference(max);
        var s = new Vector<double>(scale);
        var o = new Vector<double>(origin);
        var cv = new Vector<double>(c);
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= z.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref zr, (nuint)k), out var z0, out var z1);
            Vector.Max(Vector.LoadUnsafe(ref mr, (nuint)k), Vector.FusedMultiplyAdd(z0 - o, s, cv)).StoreUnsafe(ref mr, (nuint)k);
            Vector.Max(Vector.LoadUnsafe(ref mr, (nuint)(k + half)), Vector.FusedMultiplyAdd(z1 - o, s, cv)).StoreUnsafe(ref mr, (nuint)(k + half));
        }

        for (; k < z.Length; k++)
        {
            max[k] = Math.Max(max[k], Math.FusedMultiplyAdd(z[k] - origin, scale, c));
        }
    }

    /// <summary>e_k = exp(scale·(z_k − origin) + v_k + c) in float32; returns Σ_k e_k accumulated in float64.</summary>
    internal static double ExpOfAffine(ReadOnlySpan<float> z, double origin, double scale, ReadOnlySpan<double> v, double c, Span<float> e)
    {
        int end = RoundedArguments<ColumnTermFirst>(z, origin, scale, v, c, e);
        ref float er = ref MemoryMarshal.GetReference(e);
        var sum0 = Vector<double>.Zero;
        var sum1 = Vector<double>.Zero;
        for (int k = 0; k < end; k += Width)
        {
            var q = SingleExp.Exp(Vector.LoadUnsafe(ref er, (nuint)k));
            q.StoreUnsafe(ref er, (nuint)k);
            Vector.Widen(q, out var q0, out var q1);
            sum0 += q0;
            sum1 += q1;
        }

        double sum = Vector.Sum(sum0 + sum1);
        for (int k = end; k < z.Length; k++)
        {
            float q = SingleExp.Exp(e[k]);
            e[k] = q;
            sum += q;
        }

        return sum;
    }

    /// <summary>
    /// sums_k += exp(y_k − max_k) for every column k, in float64, with y_k = scale·(z_k − origin) + c
    /// formed exactly as <see cref="ColumnMaxOfAffine"/> forms it and <paramref name="negatedMax"/> = −max:
    /// each argument is then ≤ 0 even where y_k and max_k are near 1e31 and differ by O(1) only (the
    /// column maximum subtracted inside the fused multiply-add instead would leave a rounding of 1e15
    /// there). <paramref name="scratch"/> (K floats) holds the rounded arguments.
    /// </summary>
    internal static void AddExpOfAffine(ReadOnlySpan<float> z, double origin, double scale, double c, ReadOnlySpan<double> negatedMax, Span<float> scratch, Span<double> sums)
    {
        int end = RoundedArguments<RowTermFirst>(z, origin, scale, negatedMax, c, scratch);
        ref float er = ref MemoryMarshal.GetReference(scratch);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        int half = Vector<double>.Count;
        for (int k = 0; k < end; k += Width)
        {
            Vector.Widen(SingleExp.Exp(Vector.LoadUnsafe(ref er, (nuint)k)), out var q0, out var q1);
            (Vector.LoadUnsafe(ref sr, (nuint)k) + q0).StoreUnsafe(ref sr, (nuint)k);
            (Vector.LoadUnsafe(ref sr, (nuint)(k + half)) + q1).StoreUnsafe(ref sr, (nuint)(k + half));
        }

        for (int k = end; k < z.Length; k++)
        {
            sums[k] += SingleExp.Exp(scratch[k]);
        }
    }

    /// <summary>
    /// e_k = exp(scale·z_k − shift) in float32 to two units in the last place whatever the argument's
    /// size, and in the same loop sums_k += w·e_k in float64: the SwAV start exponentiates a row and adds
    /// it to the first column sums while the row is in registers. d = scale·z_k − shift is formed in
    /// float64 and split into its float32 rounding h and the remainder l, and e^d = e^h·(1 + l) to
    /// 1e-14: this pass runs once, so the cheaper rounded argument's 6e-8·|d| would be the largest error left.
    /// </summary>
    internal static void PreciseExpOfScaledAdd(ReadOnlySpan<float> z, double scale, double shift, Span<float> e, double w, Span<double> sums)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float er = ref MemoryMarshal.GetReference(e);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        var s = new Vector<double>(scale);
        var c = new Vector<double>(-shift);
        var wv = new Vector<double>(w);
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= z.Length - Width; k += Width)
        {
            var q = PreciseExp(Vector.LoadUnsafe(ref zr, (nuint)k), s, c);
            q.StoreUnsafe(ref er, (nuint)k);
            Vector.Widen(q, out var q0, out var q1);
            Vector.FusedMultiplyAdd(q0, wv, Vector.LoadUnsafe(ref sr, (nuint)k)).StoreUnsafe(ref sr, (nuint)k);
            Vector.FusedMultiplyAdd(q1, wv, Vector.LoadUnsafe(ref sr, (nuint)(k + half))).StoreUnsafe(ref sr, (nuint)(k + half));
        }

        for (; k < z.Length; k++)
        {
            float q = PreciseExp(z[k], scale, shift);
            e[k] = q;
            sums[k] = Math.FusedMultiplyAdd(q, w, sums[k]);
        }
    }

    /// <summary>
    /// (max_k z_k, min_k z_k) in one read of the row. A NaN or infinite entry makes both NaN: z·0 is 0
    /// for every finite z and NaN otherwise, so one extra multiply-add per vector screens the row that
    /// the native min and max (which drop NaNs) would pass.
    /// </summary>
    internal static (float Max, float Min) Extremes(ReadOnlySpan<float> z)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        var max = new Vector<float>(float.NegativeInfinity);
        var min = new Vector<float>(float.PositiveInfinity);
        var screen = Vector<float>.Zero;
        int k = 0;
        for (; k <= z.Length - Width; k += Width)
        {
            var v = Vector.LoadUnsafe(ref zr, (nuint)k);
            max = Vector.MaxNative(max, v);
            min = Vector.MinNative(min, v);
            screen = Vector.FusedMultiplyAdd(v, Vector<float>.Zero, screen);
        }

        float hi = float.NegativeInfinity;
        float lo = float.PositiveInfinity;
        float bad = 0;
        for (int j = 0; j < Width; j++)
        {
            hi = Math.Max(hi, max[j]);
            lo = Math.Min(lo, min[j]);
            bad += screen[j];
        }

        for (; k < z.Length; k++)
        {
            hi = Math.Max(hi, z[k]);
            lo = Math.Min(lo, z[k]);
            bad += z[k] * 0;
        }

        return float.IsNaN(bad) ? (float.NaN, float.NaN) : (hi, lo);
    }

    /// <summary>One vector of <see cref="PreciseExpOfScaledAdd"/>'s exponentials: c is −shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> PreciseExp(Vector<float> z, Vector<double> scale, Vector<double> c)
    {
        Vector.Widen(z, out var z0, out var z1);
        var d0 = Vector.FusedMultiplyAdd(z0, scale, c);
        var d1 = Vector.FusedMultiplyAdd(z1, scale, c);
        var high = Vector.Narrow(d0, d1);
        Vector.Widen(high, out var h0, out var h1);
        var low = Vector.Narrow(d0 - h0, d1 - h1);
        var q = SingleExp.Exp(high);
        return Vector.FusedMultiplyAdd(q, low, q);
    }

    /// <summary>The scalar twin of <see cref="PreciseExp(Vector{float}, Vector{double}, Vector{double})"/>.</summary>
    private static float PreciseExp(float z, double scale, double shift)
    {
        double d = Math.FusedMultiplyAdd(z, scale, -shift);
        float high = (float)d;
        float q = SingleExp.Exp(high);
        return MathF.FusedMultiplyAdd(q, (float)(d - high), q);
    }

    /// <summary>sums_k += w·e_k for every column k, in float64.</summary>
    internal static void AddScaled(ReadOnlySpan<float> e, double w, Span<double> sums)
    {
        ref float er = ref MemoryMarshal.GetReference(e);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        var wv = new Vector<double>(w);
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= e.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref er, (nuint)k), out var q0, out var q1);
            Vector.FusedMultiplyAdd(q0, wv, Vector.LoadUnsafe(ref sr, (nuint)k)).StoreUnsafe(ref sr, (nuint)k);
            Vector.FusedMultiplyAdd(q1, wv, Vector.LoadUnsafe(ref sr, (nuint)(k + half))).StoreUnsafe(ref sr, (nuint)(k + half));
        }

        for (; k < e.Length; k++)
        {
            sums[k] = Math.FusedMultiplyAdd(e[k], w, sums[k]);
        }
    }

    /// <summary>Σ_k e_k·w_k in float64.</summary>
    internal static double Dot(ReadOnlySpan<float> e, ReadOnlySpan<double> w)
    {
        ref float er = ref MemoryMarshal.GetReference(e);
        ref double wr = ref MemoryMarshal.GetReference(w);
        var sum0 = Vector<double>.Zero;
        var sum1 = Vector<double>.Zero;
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= e.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref er, (nuint)k), out var q0, out var q1);
            sum0 = Vector.FusedMultiplyAdd(q0, Vector.LoadUnsafe(ref wr, (nuint)k), sum0);
            sum1 = Vector.FusedMultiplyAdd(q1, Vector.LoadUnsafe(ref wr, (nuint)(k + half)), sum1);
        }

        double sum = Vector.Sum(sum0 + sum1);
        for (; k < e.Length; k++)
        {
            sum = Math.FusedMultiplyAdd(e[k], w[k], sum);
        }

        return sum;
    }

    /// <summary>e_k ← (float)(e_k·(u·w_k)), the product in float64.</summary>
    internal static void ScaleInPlace(Span<float> e, double u, ReadOnlySpan<double> w)
    {
        ref float er = ref MemoryMarshal.GetReference(e);
        ref double wr = ref MemoryMarshal.GetReference(w);
        var uv = new Vector<double>(u);
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= e.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref er, (nuint)k), out var q0, out var q1);
            var s0 = q0 * (uv * Vector.LoadUnsafe(ref wr, (nuint)k));
            var s1 = q1 * (uv * Vector.LoadUnsafe(ref wr, (nuint)(k + half)));
            Vector.Narrow(s0, s1).StoreUnsafe(ref er, (nuint)k);
        }

        for (; k < e.Length; k++)
        {
            e[k] = (float)(e[k] * (u * w[k]));
        }
    }

    /// <summary>
    /// d_k = (float)x_k with x_k formed in float64 from scale·(z_k − origin), the per-column v_k and the
    /// per-row c in the order <typeparamref name="TOrder"/> gives, and rounded once. A loop of its own:
    /// the exponentials that follow then form long independent chains the processor can overlap.
    /// Returns where the vector part ended; the tail is written too.
    /// </summary>
    private static int RoundedArguments<TOrder>(ReadOnlySpan<float> z, double origin, double scale, ReadOnlySpan<double> v, double c, Span<float> d)
        where TOrder : IArgumentOrder
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref double vr = ref MemoryMarshal.GetReference(v);
        ref float dr = ref MemoryMarshal.GetReference(d);
        var s = new Vector<double>(scale);
        var o = new Vector<double>(origin);
        var cv = new Vector<double>(c);
        int half = Vector<double>.Count;
        int k = 0;
        for (; k <= z.Length - Width; k += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref zr, (nuint)k), out var z0, out var z1);
            var x0 = TOrder.Form(z0 - o, s, Vector.LoadUnsafe(ref vr, (nuint)k), cv);
            var x1 = TOrder.Form(z1 - o, s, Vector.LoadUnsafe(ref vr, (nuint)(k + half)), cv);
            Vector.Narrow(x0, x1).StoreUnsafe(ref dr, (nuint)k);
        }

        int end = k;
        for (; k < z.Length; k++)
        {
            d[k] = (float)TOrder.Form(z[k] - origin, scale, v[k], c);
        }

        return end;
    }

    /// <summary>
    /// How an argument is formed from d = z − origin, the scale, a per-column v and a per-row c: whichever
    /// of the two the pass's maximum was formed with goes into the fused multiply-add, the other is added
    /// after, so that the argument of the maximum's own entry is exactly 0 (TensorPrimitives' operator
    /// structs: the order is a type, and the loop is written once).
    /// </summary>
    private interface IArgumentOrder
    {
        static abstract Vector<double> Form(Vector<double> d, Vector<double> scale, Vector<double> v, Vector<double> c);

        static abstract double Form(double d, double scale, double v, double c);
    }

    /// <summary>(scale·d + v_k) + c: the row passes, whose maximum is max_k(scale·d_k + v_k) and c = −max.</summary>
    private readonly struct ColumnTermFirst : IArgumentOrder
    {
        public static Vector<double> Form(Vector<double> d, Vector<double> scale, Vector<double> v, Vector<double> c) => Vector.FusedMultiplyAdd(d, scale, v) + c;

        public static double Form(double d, double scale, double v, double c) => Math.FusedMultiplyAdd(d, scale, v) + c;
    }

    /// <summary>(scale·d + c) + v_k: the column pass, whose maximum is max_i(scale·d_i + c_i) and v = −max.</summary>
    private readonly struct RowTermFirst : IArgumentOrder
    {
        public static Vector<double> Form(Vector<double> d, Vector<double> scale, Vector<double> v, Vector<double> c) => Vector.FusedMultiplyAdd(d, scale, c) + v;

        public static double Form(double d, double scale, double v, double c) => Math.FusedMultiplyAdd(d, scale, c) + v;
    }

    /// <summary>
    /// The lowest k with scale·(z_k − origin) + v_k == <paramref name="max"/> (the value
    /// <see cref="MaxOfAffine"/> returned, computed the same way), as the spec's argmax demands; 0 when
    /// none matches.
    /// </summary>
    internal static long FirstIndexOfMax(ReadOnlySpan<float> z, double origin, double scale, ReadOnlySpan<double> v, double max)
    {
        for (int k = 0; k < z.Length; k++)
        {
            if (Math.FusedMultiplyAdd(z[k] - origin, scale, v[k]) == max)
            {
                return k;
            }
        }

        return 0;
    }

    /// <summary>
    /// LSE_k(scale·z_k + v_k) = Max + LogSum, the two parts apart, with float64 exponentials throughout,
    /// for the row log-sum-exps whose error the driver multiplies by λ (λ·LSE_k z_ik enters every log
    /// c_i): float32 exponentials would leave 1e-7 there, 2.5e-6 after the factor 25. x is scratch.
    /// </summary>
    internal static (double Max, double LogSum) PreciseLogSumExpOfAffine(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> v, Span<double> x)
    {
        TensorPrimitives.ConvertChecked<float, double>(z, x);
        TensorPrimitives.MultiplyAdd(x, scale, v, x);
        double max = TensorPrimitives.Max<double>(x);
        TensorPrimitives.Subtract(x, max, x);

        // The vectorised float64 exp leaves its fast path (30× slower) below about −708, and e^-700 is
        // nothing beside the 1 this sum contains.
        TensorPrimitives.Max(x, PreciseMinExponent, x);
        TensorPrimitives.Exp(x, x);
        return (max, Math.Log(TensorPrimitives.Sum<double>(x)));
    }

    internal static double LogAddExp(double a, double b)
    {
        double max = Math.Max(a, b);
        return double.IsNegativeInfinity(max) ? max : max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
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
