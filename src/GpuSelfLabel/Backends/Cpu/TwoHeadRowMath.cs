using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Row arithmetic of the two-head loss (ops.md §8) in SIMD. The multi-label head works in float32 with
/// <see cref="SingleExp"/>: its argument −|x| is exact, and every quantity below is a product or
/// quotient of positive terms (no cancellation), so each loss term and gradient entry is within a few
/// units in the last place (about 5e-7 relative) of its exact value, far inside 1e-4 elementwise, and
/// the loss — a sum of non-negative terms accumulated in float64 — inherits the same relative bound.
/// The softmax head stays in float64: its probabilities decide the pseudo-label selection, so they
/// are the float64 softmax rounded once, as the selection's float64 reference sees them.
/// </summary>
internal static class TwoHeadRowMath
{
    private static int Width => Vector<float>.Count;

    /// <summary>
    /// d_j = scale·(σ(b_j) − z_j); returns Σ_j BCE(b_j, z_j) in float64, BCE(x, z) = max(x, 0) − z·x + ln(1 + e^−|x|).
    /// The vector loop and the padded last vector run the same code, so no value depends on its column.
    /// </summary>
    internal static double BinaryCrossEntropy(ReadOnlySpan<float> b, ReadOnlySpan<float> z, Span<float> d, float scale)
    {
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float dr = ref MemoryMarshal.GetReference(d);
        var s = new Vector<float>(scale);
        var sum0 = Vector<double>.Zero;
        var sum1 = Vector<double>.Zero;
        int j = 0;
        for (; j <= b.Length - Width; j += Width)
        {
            var term = Element(Vector.LoadUnsafe(ref br, (nuint)j), Vector.LoadUnsafe(ref zr, (nuint)j), s, out var grad);
            grad.StoreUnsafe(ref dr, (nuint)j);
            Vector.Widen(term, out var t0, out var t1);
            sum0 += t0;
            sum1 += t1;
        }

        double sum = Vector.Sum(sum0 + sum1);
        int rest = b.Length - j;
        if (rest > 0)
        {
            // Zero padding is a valid element (x = 0, z = 0); its term is left out of the sum below.
            Span<float> x = stackalloc float[Width];
            Span<float> t = stackalloc float[Width];
            Span<float> g = stackalloc float[Width];
            x.Clear();
            t.Clear();
            b[j..].CopyTo(x);
            z[j..].CopyTo(t);
            var term = Element(new Vector<float>(x), new Vector<float>(t), s, out var grad);
            grad.CopyTo(g);
            g[..rest].CopyTo(d[j..]);
            for (int k = 0; k < rest; k++)
            {
                sum += term[k];
            }
        }

        return sum;
    }

    /// <summary>
    /// <see cref="BinaryCrossEntropy"/> in scalar float64 arithmetic, for gradient scales so large that
    /// float32 underflow of e^−|x| would show.
    /// </summary>
    internal static double PreciseBinaryCrossEntropy(ReadOnlySpan<float> b, ReadOnlySpan<float> z, Span<float> d, double scale)
    {
        double sum = 0;
        for (int j = 0; j < b.Length; j++)
        {
            double x = b[j];
            double e = Math.Exp(-Math.Abs(x));
            double up = x >= 0 ? 1 : e;
            double down = x >= 0 ? e : 1;
            double zj = z[j];
            sum += Math.Max(x, 0) - (zj * x) + double.LogP1(e);
            d[j] = (float)((((1 - zj) * up) - (zj * down)) / (1 + e) * scale);
        }

        return sum;
    }

    /// <summary>
    /// One vector of BCE terms and gradients. With e = e^−|x| (exact argument, 2 ulp), and one division
    /// q = 1/((1 + e)(2 + e)) shared by both: σ(x) − z = ((1 − z)·σ(x) − z·σ(−x)), σ(±|x|) = {1, e}/(1 + e),
    /// which never subtracts nearly equal numbers for 0/1 targets; ln(1 + e) = 2·atanh(t), t = e/(2 + e) ≤ 1/3,
    /// by its odd series through t^13 (truncation below 2e-8 relative), exact in relative terms for tiny e.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Element(Vector<float> x, Vector<float> z, Vector<float> scale, out Vector<float> grad)
    {
        var one = Vector<float>.One;
        var two = new Vector<float>(2f);
        var ax = Vector.Abs(x);
        var e = SingleExp.Exp(-ax);
        var onePlus = one + e;
        var twoPlus = two + e;
        var q = one / (onePlus * twoPlus);
        var inverse = twoPlus * q;
        var t = e * onePlus * q;

        var t2 = t * t;
        var p = Vector.FusedMultiplyAdd(t2, new Vector<float>(1f / 13), new Vector<float>(1f / 11));
        p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(1f / 9));
        p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(1f / 7));
        p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(1f / 5));
        p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(1f / 3));
        p = Vector.FusedMultiplyAdd(p, t2, one);
        var tail = (t + t) * p;

        // For 0/1 targets max(x, 0) − z·x is exact: 0, |x| or x.
        var hinge = Vector.FusedMultiplyAdd(-z, x, Vector.Max(x, Vector<float>.Zero));

        var nonNegative = Vector.GreaterThanOrEqual(x, Vector<float>.Zero);
        var up = Vector.ConditionalSelect(nonNegative, one, e);
        var down = Vector.ConditionalSelect(nonNegative, e, one);
        var numerator = Vector.FusedMultiplyAdd(one - z, up, -(z * down));
        grad = numerator * inverse * scale;
        return hinge + tail;
    }

    /// <summary>
    /// Softmax head of one row: p = softmax(a) (float64, rounded once), d = scale·(p − onehot(label));
    /// returns LSE(a) − a_label. <paramref name="e"/> is a float64 scratch row.
    /// </summary>
    internal static double SoftmaxHead(ReadOnlySpan<float> a, int label, Span<float> p, Span<float> d, double scale, Span<double> e)
    {
        float max = TensorPrimitives.Max<float>(a);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref double er = ref MemoryMarshal.GetReference(e);
        var m = new Vector<double>(max);
        int half = Vector<double>.Count;
        int j = 0;

        // Differences of two floats are exact in float64 (or within 1e-16 of the larger), so e^(a − max) is float64-accurate.
        for (; j <= a.Length - Width; j += Width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref ar, (nuint)j), out var a0, out var a1);
            (a0 - m).StoreUnsafe(ref er, (nuint)j);
            (a1 - m).StoreUnsafe(ref er, (nuint)(j + half));
        }

        for (; j < a.Length; j++)
        {
            e[j] = (double)a[j] - max;
        }

        TensorPrimitives.Exp<double>(e, e);
        double sum = TensorPrimitives.Sum<double>(e);
        double inverse = 1 / sum;
        double loss = Math.Log(sum) - ((double)a[label] - max);

        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float dr = ref MemoryMarshal.GetReference(d);
        var inv = new Vector<double>(inverse);
        var s = new Vector<double>(scale);
        j = 0;
        for (; j <= a.Length - Width; j += Width)
        {
            var p0 = Vector.LoadUnsafe(ref er, (nuint)j) * inv;
            var p1 = Vector.LoadUnsafe(ref er, (nuint)(j + half)) * inv;
            Vector.Narrow(p0, p1).StoreUnsafe(ref pr, (nuint)j);
            Vector.Narrow(p0 * s, p1 * s).StoreUnsafe(ref dr, (nuint)j);
        }

        for (; j < a.Length; j++)
        {
            double q = e[j] * inverse;
            p[j] = (float)q;
            d[j] = (float)(q * scale);
        }

        d[label] = (float)(((e[label] * inverse) - 1) * scale);
        return loss;
    }
}
