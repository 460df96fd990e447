using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The fused row loops of the CPU Self-Classifier passes: each reads a float32 logit row once, widens
/// it to float64 and keeps the arguments, exponentials and logarithms of an element in registers
/// (<see cref="DoubleExp"/>, <see cref="DoubleLog"/>). Per-class float64 buffers are padded to a
/// whole number of vectors with zeros, which every product below keeps at zero, so the loops over
/// buffers need no tails; the loops over a logit row finish its last elements one at a time with the
/// same vector arithmetic (lane 0 of a broadcast), so a value never depends on where it sits.
/// </summary>
internal static class SelfClassifierRowMath
{
    private static int FloatWidth => Vector<float>.Count;

    private static int Width => Vector<double>.Count;

    /// <summary>
    /// Whether the exponential loops run on 512-bit vectors: Vector&lt;T&gt; stays 256 bits wide on
    /// AVX-512 hardware, where these loops, bound by the float64 exp and log, would use half the lanes.
    /// </summary>
    private static bool Wide => Vector512.IsHardwareAccelerated && Vector<double>.Count < Vector512<double>.Count;

    /// <summary>Length of a per-class float64 buffer: C rounded up to whole vectors of either width.</summary>
    public static int Padded(int classes)
    {
        int unit = Math.Max(Width, Vector512<double>.Count);
        return (classes + unit - 1) / unit * unit;
    }

    /// <summary>max_y s_y, and max_y = max(max_y, s_y) for every class, in one read.</summary>
    public static float RowAndColumnMax(ReadOnlySpan<float> s, Span<float> columnMax)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float mr = ref MemoryMarshal.GetReference(columnMax);
        var rowMax = new Vector<float>(float.NegativeInfinity);
        int k = 0;
        for (; k <= s.Length - FloatWidth; k += FloatWidth)
        {
            var v = Vector.LoadUnsafe(ref sr, (nuint)k);
            rowMax = Vector.MaxNative(rowMax, v);
            Vector.MaxNative(Vector.LoadUnsafe(ref mr, (nuint)k), v).StoreUnsafe(ref mr, (nuint)k);
        }

        float max = float.NegativeInfinity;
        for (int j = 0; j < FloatWidth; j++)
        {
            max = Math.Max(max, rowMax[j]);
        }

        for (; k < s.Length; k++)
        {
            max = Math.Max(max, s[k]);
            columnMax[k] = Math.Max(columnMax[k], s[k]);
        }

        return max;
    }

    /// <summary>e_y = exp((s_y − shift)·scale) (the difference exact in float64); returns Σ_y e_y.</summary>
    public static double ExpOfShifted(ReadOnlySpan<float> s, float shift, double scale, Span<double> e)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double er = ref MemoryMarshal.GetReference(e);
        var c = new Vector<double>(shift);
        var k2 = new Vector<double>(scale);
        var sum0 = Vector<double>.Zero;
        var sum1 = Vector<double>.Zero;
        int k = 0;
        double sum = 0;
        if (Wide)
        {
            var c512 = Vector512.Create((double)shift);
            var k512 = Vector512.Create(scale);
            var wide = Vector512<double>.Zero;
            for (; k <= s.Length - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                var (s0, s1) = Vector512.Widen(Vector512.LoadUnsafe(ref sr, (nuint)k));
                var e0 = DoubleExp.Exp((s0 - c512) * k512);
                var e1 = DoubleExp.Exp((s1 - c512) * k512);
                e0.StoreUnsafe(ref er, (nuint)k);
                e1.StoreUnsafe(ref er, (nuint)(k + Vector512<double>.Count));
                wide += e0 + e1;
            }

            sum = Vector512.Sum(wide);
        }

        for (; k <= s.Length - FloatWidth; k += FloatWidth)
        {
            Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)k), out var s0, out var s1);
            var e0 = DoubleExp.Exp((s0 - c) * k2);
            var e1 = DoubleExp.Exp((s1 - c) * k2);
            e0.StoreUnsafe(ref er, (nuint)k);
            e1.StoreUnsafe(ref er, (nuint)(k + Width));
            sum0 += e0;
            sum1 += e1;
        }

        sum += Vector.Sum(sum0 + sum1);
        for (; k < s.Length; k++)
        {
            e[k] = DoubleExp.Exp((s[k] - (double)shift) * scale);
            sum += e[k];
        }

        return sum;
    }

    /// <summary>sums_y += e_y·w for every class (padded buffers).</summary>
    public static void AddScaled(ReadOnlySpan<double> e, double w, Span<double> sums)
    {
        if (Wide)
        {
            AddScaledWide(e, w, sums);
            return;
        }

        ref double er = ref MemoryMarshal.GetReference(e);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        var wv = new Vector<double>(w);
        for (int k = 0; k < sums.Length; k += Width)
        {
            Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref er, (nuint)k), wv, Vector.LoadUnsafe(ref sr, (nuint)k)).StoreUnsafe(ref sr, (nuint)k);
        }
    }

    /// <summary>sums_y += exp((s_y − shift_y)·scale) for every class (the difference exact in float64).</summary>
    public static void AddExpOfShifted(ReadOnlySpan<float> s, ReadOnlySpan<double> shift, double scale, Span<double> sums)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double cr = ref MemoryMarshal.GetReference(shift);
        ref double ar = ref MemoryMarshal.GetReference(sums);
        var k2 = new Vector<double>(scale);
        int k = 0;
        if (Wide)
        {
            var k512 = Vector512.Create(scale);
            for (; k <= s.Length - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                var (s0, s1) = Vector512.Widen(Vector512.LoadUnsafe(ref sr, (nuint)k));
                nuint k0 = (nuint)k;
                nuint k1 = (nuint)(k + Vector512<double>.Count);
                var e0 = DoubleExp.Exp((s0 - Vector512.LoadUnsafe(ref cr, k0)) * k512);
                var e1 = DoubleExp.Exp((s1 - Vector512.LoadUnsafe(ref cr, k1)) * k512);
                (Vector512.LoadUnsafe(ref ar, k0) + e0).StoreUnsafe(ref ar, k0);
                (Vector512.LoadUnsafe(ref ar, k1) + e1).StoreUnsafe(ref ar, k1);
            }
        }

        for (; k <= s.Length - FloatWidth; k += FloatWidth)
        {
            Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)k), out var s0, out var s1);
            nuint k0 = (nuint)k;
            nuint k1 = (nuint)(k + Width);
            var e0 = DoubleExp.Exp((s0 - Vector.LoadUnsafe(ref cr, k0)) * k2);
            var e1 = DoubleExp.Exp((s1 - Vector.LoadUnsafe(ref cr, k1)) * k2);
            (Vector.LoadUnsafe(ref ar, k0) + e0).StoreUnsafe(ref ar, k0);
            (Vector.LoadUnsafe(ref ar, k1) + e1).StoreUnsafe(ref ar, k1);
        }

        for (; k < s.Length; k++)
        {
            sums[k] += DoubleExp.Exp((s[k] - shift[k]) * scale);
        }
    }

    /// <summary>
    /// One view of one sample: A_y = exp(s_y·τ_c⁻¹ + negShiftA_y) (the column softmax), R_y =
    /// exp(s_y·τ_r⁻¹ − shiftR) (the row softmax), (N/C)P_y = R_y·predictionScale_y, Q_y = ln((N/C)P_y + ε)
    /// and ratio_y = (N/C)P_y / ((N/C)P_y + ε); writes A, Q, ratio and, when <paramref name="r"/> is not
    /// empty, R. Returns a_n = Σ_y A_y.
    /// </summary>
    public static double SampleView(
        ReadOnlySpan<float> s,
        double inverseTauCol,
        ReadOnlySpan<double> negShiftA,
        double inverseTauRow,
        double shiftR,
        ReadOnlySpan<double> predictionScale,
        Span<double> a,
        Span<double> q,
        Span<double> ratio,
        Span<double> r)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double nar = ref MemoryMarshal.GetReference(negShiftA);
        ref double psr = ref MemoryMarshal.GetReference(predictionScale);
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double rr = ref MemoryMarshal.GetReference(r);
        bool keepR = !r.IsEmpty;
        var kc = new Vector<double>(inverseTauCol);
        var kr = new Vector<double>(inverseTauRow);
        var nsr = new Vector<double>(-shiftR);
        var sum = Vector<double>.Zero;
        int k = 0;
        double total = 0;
        if (Wide)
        {
            var kc512 = Vector512.Create(inverseTauCol);
            var kr512 = Vector512.Create(inverseTauRow);
            var nsr512 = Vector512.Create(-shiftR);
            var wide = Vector512<double>.Zero;
            for (; k <= s.Length - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                var (s0, s1) = Vector512.Widen(Vector512.LoadUnsafe(ref sr, (nuint)k));
                nuint o0 = (nuint)k;
                nuint o1 = (nuint)(k + Vector512<double>.Count);
                var (a0, r0, q0, t0) = SampleLanes(s0, kc512, Vector512.LoadUnsafe(ref nar, o0), kr512, nsr512, Vector512.LoadUnsafe(ref psr, o0));
                var (a1, r1, q1, t1) = SampleLanes(s1, kc512, Vector512.LoadUnsafe(ref nar, o1), kr512, nsr512, Vector512.LoadUnsafe(ref psr, o1));
                a0.StoreUnsafe(ref ar, o0);
                a1.StoreUnsafe(ref ar, o1);
                q0.StoreUnsafe(ref qr, o0);
                q1.StoreUnsafe(ref qr, o1);
                t0.StoreUnsafe(ref tr, o0);
                t1.StoreUnsafe(ref tr, o1);
                if (keepR)
                {
                    r0.StoreUnsafe(ref rr, o0);
                    r1.StoreUnsafe(ref rr, o1);
                }

                wide += a0 + a1;
            }

            total = Vector512.Sum(wide);
        }

        for (; k <= s.Length - FloatWidth; k += FloatWidth)
        {
            Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)k), out var s0, out var s1);
            nuint o0 = (nuint)k;
            nuint o1 = (nuint)(k + Width);
            var (a0, r0, q0, t0) = SampleLanes(s0, kc, Vector.LoadUnsafe(ref nar, o0), kr, nsr, Vector.LoadUnsafe(ref psr, o0));
            var (a1, r1, q1, t1) = SampleLanes(s1, kc, Vector.LoadUnsafe(ref nar, o1), kr, nsr, Vector.LoadUnsafe(ref psr, o1));
            a0.StoreUnsafe(ref ar, o0);
            a1.StoreUnsafe(ref ar, o1);
            q0.StoreUnsafe(ref qr, o0);
            q1.StoreUnsafe(ref qr, o1);
            t0.StoreUnsafe(ref tr, o0);
            t1.StoreUnsafe(ref tr, o1);
            if (keepR)
            {
                r0.StoreUnsafe(ref rr, o0);
                r1.StoreUnsafe(ref rr, o1);
            }

            sum += a0 + a1;
        }

        total += Vector.Sum(sum);
        for (; k < s.Length; k++)
        {
            var (av, rv, qv, tv) = SampleLanes(new Vector<double>(s[k]), kc, new Vector<double>(negShiftA[k]), kr, nsr, new Vector<double>(predictionScale[k]));
            a[k] = av[0];
            q[k] = qv[0];
            ratio[k] = tv[0];
            if (keepR)
            {
                r[k] = rv[0];
            }

            total += av[0];
        }

        return total;
    }

    /// <summary>
    /// Pass 3 over the classes of one sample, all views side by side (view v at offset v·stride of
    /// A, Q and ratio): T^v = A^v·inverseNormaliser_v, G^v = Σ_{j∈J(v)} Q^j, GQ^v = Σ_{i∈J(v)} T^i;
    /// loss_v += T^v·G^v (per lane), columnH^v += −w·T^v ⊙ G^v and columnK^v += −w·GQ^v ⊙ ratio^v.
    /// The row term of H, which needs the finished loss_v, is added by <see cref="AddScaled"/> afterwards.
    /// </summary>
    public static void LossColumns(
        int views,
        int global,
        int stride,
        ReadOnlySpan<double> a,
        ReadOnlySpan<double> q,
        ReadOnlySpan<double> ratio,
        ReadOnlySpan<double> inverseNormaliser,
        double minusW,
        Span<double> loss,
        Span<double> columnH,
        Span<double> columnK)
    {
        if (Wide)
        {
            LossColumnsWide(views, global, stride, a, q, ratio, inverseNormaliser, minusW, loss, columnH, columnK);
            return;
        }

        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double hr = ref MemoryMarshal.GetReference(columnH);
        ref double kr = ref MemoryMarshal.GetReference(columnK);
        var mw = new Vector<double>(minusW);
        Span<Vector<double>> lanes = stackalloc Vector<double>[views];
        lanes.Clear();
        for (int k = 0; k < stride; k += Width)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSums(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = Vector.LoadUnsafe(ref qr, o);
                var t = Vector.LoadUnsafe(ref ar, o) * new Vector<double>(inverseNormaliser[v]);

                // A global view pairs with every other view, a local one with the global views only.
                var g = v < global ? qAll - qv : qGlobal;
                var gq = v < global ? tAll - t : tGlobal;
                var tg = t * g;
                lanes[v] += tg;
                Vector.FusedMultiplyAdd(tg, mw, Vector.LoadUnsafe(ref hr, o)).StoreUnsafe(ref hr, o);
                Vector.FusedMultiplyAdd(gq * Vector.LoadUnsafe(ref tr, o), mw, Vector.LoadUnsafe(ref kr, o)).StoreUnsafe(ref kr, o);
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = Vector.Sum(lanes[v]);
        }
    }

    /// <summary>
    /// Pass 4 over the classes of one sample, all views: as <see cref="LossColumns"/> for loss_v, then
    /// overwrites q with GT = −w·G and ratio with M = K + (N/C)P ⊙ columnKOverScale (K = −w·GQ ⊙ ratio,
    /// columnKOverScale = −[r ≥ ε]·ColumnK/(N/C)) and adds M to sumM_v (per lane).
    /// </summary>
    public static void GradientColumns(
        int views,
        int global,
        int stride,
        ReadOnlySpan<double> a,
        Span<double> q,
        Span<double> ratio,
        ReadOnlySpan<double> r,
        ReadOnlySpan<double> inverseNormaliser,
        double minusW,
        ReadOnlySpan<double> predictionScale,
        ReadOnlySpan<double> columnKOverScale,
        Span<double> loss,
        Span<double> sumM)
    {
        if (Wide)
        {
            GradientColumnsWide(views, global, stride, a, q, ratio, r, inverseNormaliser, minusW, predictionScale, columnKOverScale, loss, sumM);
            return;
        }

        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double pr = ref MemoryMarshal.GetReference(predictionScale);
        ref double cr = ref MemoryMarshal.GetReference(columnKOverScale);
        var mw = new Vector<double>(minusW);
        Span<Vector<double>> lanes = stackalloc Vector<double>[2 * views];
        lanes.Clear();
        for (int k = 0; k < stride; k += Width)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSums(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = Vector.LoadUnsafe(ref qr, o);
                var t = Vector.LoadUnsafe(ref ar, o) * new Vector<double>(inverseNormaliser[v]);
                var g = v < global ? qAll - qv : qGlobal;
                var gq = v < global ? tAll - t : tGlobal;
                lanes[v] += t * g;
                (mw * g).StoreUnsafe(ref qr, o);
                var scaled = Vector.LoadUnsafe(ref rr, o) * Vector.LoadUnsafe(ref pr, o);
                var m = Vector.FusedMultiplyAdd(scaled, Vector.LoadUnsafe(ref cr, o), mw * gq * Vector.LoadUnsafe(ref tr, o));
                m.StoreUnsafe(ref tr, o);
                lanes[views + v] += m;
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = Vector.Sum(lanes[v]);
            sumM[v] = Vector.Sum(lanes[views + v]);
        }
    }

    /// <summary>
    /// ∂Loss/∂S of one view of one sample: (A ⊙ (inverseNormaliser·(GT + rowTerm) − ColumnH))/τ_c +
    /// (M − R·sumM)/τ_r, rounded to float32 (H = T ⊙ (GT + rowTerm) with T = A·inverseNormaliser).
    /// </summary>
    public static void GradientRow(
        ReadOnlySpan<double> a,
        ReadOnlySpan<double> gt,
        ReadOnlySpan<double> m,
        ReadOnlySpan<double> r,
        ReadOnlySpan<double> negColumnH,
        double inverseNormaliser,
        double rowTerm,
        double sumM,
        double inverseTauCol,
        double inverseTauRow,
        Span<float> output)
    {
        if (Wide)
        {
            GradientRowWide(a, gt, m, r, negColumnH, inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow, output);
            return;
        }

        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double gr = ref MemoryMarshal.GetReference(gt);
        ref double mr = ref MemoryMarshal.GetReference(m);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double hr = ref MemoryMarshal.GetReference(negColumnH);
        ref float outr = ref MemoryMarshal.GetReference(output);
        var c = new GradientConstants(inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow);
        int k = 0;
        for (; k <= output.Length - FloatWidth; k += FloatWidth)
        {
            var d0 = GradientLanes((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            var d1 = GradientLanes((nuint)(k + Width), in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            Vector.Narrow(d0, d1).StoreUnsafe(ref outr, (nuint)k);
        }

        // The buffers are padded to whole vectors, so the last one is computed whole and written in part.
        for (; k < output.Length; k += Width)
        {
            var d = GradientLanes((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            for (int j = 0; j < Width && k + j < output.Length; j++)
            {
                output[k + j] = (float)d[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> GradientLanes(nuint o, in GradientConstants c, ref double a, ref double gt, ref double m, ref double r, ref double negColumnH)
    {
        var target = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref gt, o) + c.RowTerm, c.InverseNormaliser, Vector.LoadUnsafe(ref negColumnH, o));
        var prediction = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r, o), c.NegSumM, Vector.LoadUnsafe(ref m, o));
        return Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref a, o) * target, c.InverseTauCol, prediction * c.InverseTauRow);
    }

    /// <summary>(Σ_v Q^v, Σ_{v&lt;G} Q^v, Σ_v T^v, Σ_{v&lt;G} T^v) of one vector of classes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<double> QAll, Vector<double> QGlobal, Vector<double> TAll, Vector<double> TGlobal) ViewSums(
        int views, int global, int stride, int k, ref double a, ref double q, ReadOnlySpan<double> inverseNormaliser)
    {
        var qAll = Vector<double>.Zero;
        var tAll = Vector<double>.Zero;
        var qGlobal = Vector<double>.Zero;
        var tGlobal = Vector<double>.Zero;
        for (int v = 0; v < views; v++)
        {
            if (v == global)
            {
                qGlobal = qAll;
                tGlobal = tAll;
            }

            nuint o = (nuint)((v * stride) + k);
            qAll += Vector.LoadUnsafe(ref q, o);
            tAll = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref a, o), new Vector<double>(inverseNormaliser[v]), tAll);
        }

        return global == views ? (qAll, qAll, tAll, tAll) : (qAll, qGlobal, tAll, tGlobal);
    }

    private readonly struct GradientConstants(double inverseNormaliser, double rowTerm, double sumM, double inverseTauCol, double inverseTauRow)
    {
        public Vector<double> InverseNormaliser { get; } = new(inverseNormaliser);

        public Vector<double> RowTerm { get; } = new(rowTerm);

        public Vector<double> NegSumM { get; } = new(-sumM);

        public Vector<double> InverseTauCol { get; } = new(inverseTauCol);

        public Vector<double> InverseTauRow { get; } = new(inverseTauRow);
    }

    /// <summary>A, R, Q and ratio of <see cref="SampleView"/> for one vector of logits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<double> A, Vector<double> R, Vector<double> Q, Vector<double> Ratio) SampleLanes(
        Vector<double> s, Vector<double> inverseTauCol, Vector<double> negShiftA, Vector<double> inverseTauRow, Vector<double> negShiftR, Vector<double> predictionScale)
    {
        var a = DoubleExp.Exp(Vector.FusedMultiplyAdd(s, inverseTauCol, negShiftA));
        var r = DoubleExp.Exp(Vector.FusedMultiplyAdd(s, inverseTauRow, negShiftR));
        var scaled = r * predictionScale;
        var shifted = scaled + new Vector<double>(SelfClassifierWorkspace.Epsilon);
        return (a, r, DoubleLog.Log(shifted), scaled / shifted);
    }

    /// <summary>The 512-bit twin of the lanes above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double> A, Vector512<double> R, Vector512<double> Q, Vector512<double> Ratio) SampleLanes(
        Vector512<double> s, Vector512<double> inverseTauCol, Vector512<double> negShiftA, Vector512<double> inverseTauRow, Vector512<double> negShiftR, Vector512<double> predictionScale)
    {
        var a = DoubleExp.Exp(Vector512.FusedMultiplyAdd(s, inverseTauCol, negShiftA));
        var r = DoubleExp.Exp(Vector512.FusedMultiplyAdd(s, inverseTauRow, negShiftR));
        var scaled = r * predictionScale;
        var shifted = scaled + Vector512.Create(SelfClassifierWorkspace.Epsilon);
        return (a, r, DoubleLog.Log(shifted), scaled / shifted);
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    private static void AddScaledWide(ReadOnlySpan<double> e, double w, Span<double> sums)
    {
        ref double er = ref MemoryMarshal.GetReference(e);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        var wv = Vector512.Create(w);
        for (int k = 0; k < sums.Length; k += Vector512<double>.Count)
        {
            Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref er, (nuint)k), wv, Vector512.LoadUnsafe(ref sr, (nuint)k)).StoreUnsafe(ref sr, (nuint)k);
        }
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    private static void LossColumnsWide(
        int views,
        int global,
        int stride,
        ReadOnlySpan<double> a,
        ReadOnlySpan<double> q,
        ReadOnlySpan<double> ratio,
        ReadOnlySpan<double> inverseNormaliser,
        double minusW,
        Span<double> loss,
        Span<double> columnH,
        Span<double> columnK)
    {
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double hr = ref MemoryMarshal.GetReference(columnH);
        ref double kr = ref MemoryMarshal.GetReference(columnK);
        var mw = Vector512.Create(minusW);
        Span<Vector512<double>> lanes = stackalloc Vector512<double>[views];
        lanes.Clear();
        for (int k = 0; k < stride; k += Vector512<double>.Count)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSumsWide(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = Vector512.LoadUnsafe(ref qr, o);
                var t = Vector512.LoadUnsafe(ref ar, o) * Vector512.Create(inverseNormaliser[v]);

                        var g = v < global ? qAll - qv : qGlobal;
                var gq = v < global ? tAll - t : tGlobal;
                var tg = t * g;
                lanes[v] += tg;
                Vector512.FusedMultiplyAdd(tg, mw, Vector512.LoadUnsafe(ref hr, o)).StoreUnsafe(ref hr, o);
                Vector512.FusedMultiplyAdd(gq * Vector512.LoadUnsafe(ref tr, o), mw, Vector512.LoadUnsafe(ref kr, o)).StoreUnsafe(ref kr, o);
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = Vector512.Sum(lanes[v]);
        }
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    private static void GradientColumnsWide(
        int views,
        int global,
        int stride,
        ReadOnlySpan<double> a,
        Span<double> q,
        Span<double> ratio,
        ReadOnlySpan<double> r,
        ReadOnlySpan<double> inverseNormaliser,
        double minusW,
        ReadOnlySpan<double> predictionScale,
        ReadOnlySpan<double> columnKOverScale,
        Span<double> loss,
        Span<double> sumM)
    {
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double pr = ref MemoryMarshal.GetReference(predictionScale);
        ref double cr = ref MemoryMarshal.GetReference(columnKOverScale);
        var mw = Vector512.Create(minusW);
        Span<Vector512<double>> lanes = stackalloc Vector512<double>[2 * views];
        lanes.Clear();
        for (int k = 0; k < stride; k += Vector512<double>.Count)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSumsWide(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = Vector512.LoadUnsafe(ref qr, o);
                var t = Vector512.LoadUnsafe(ref ar, o) * Vector512.Create(inverseNormaliser[v]);
                var g = v < global ? qAll - qv : qGlobal;
                var gq = v < global ? tAll - t : tGlobal;
                lanes[v] += t * g;
                (mw * g).StoreUnsafe(ref qr, o);
                var scaled = Vector512.LoadUnsafe(ref rr, o) * Vector512.LoadUnsafe(ref pr, o);
                var m = Vector512.FusedMultiplyAdd(scaled, Vector512.LoadUnsafe(ref cr, o), mw * gq * Vector512.LoadUnsafe(ref tr, o));
                m.StoreUnsafe(ref tr, o);
                lanes[views + v] += m;
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = Vector512.Sum(lanes[v]);
            sumM[v] = Vector512.Sum(lanes[views + v]);
        }
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    private static void GradientRowWide(
        ReadOnlySpan<double> a,
        ReadOnlySpan<double> gt,
        ReadOnlySpan<double> m,
        ReadOnlySpan<double> r,
        ReadOnlySpan<double> negColumnH,
        double inverseNormaliser,
        double rowTerm,
        double sumM,
        double inverseTauCol,
        double inverseTauRow,
        Span<float> output)
    {
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double gr = ref MemoryMarshal.GetReference(gt);
        ref double mr = ref MemoryMarshal.GetReference(m);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double hr = ref MemoryMarshal.GetReference(negColumnH);
        ref float outr = ref MemoryMarshal.GetReference(output);
        var c = new GradientConstantsWide(inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow);
        int k = 0;
        for (; k <= output.Length - Vector512<float>.Count; k += Vector512<float>.Count)
        {
            var d0 = GradientLanesWide((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            var d1 = GradientLanesWide((nuint)(k + Vector512<double>.Count), in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            Vector512.Narrow(d0, d1).StoreUnsafe(ref outr, (nuint)k);
        }

        for (; k < output.Length; k += Vector512<double>.Count)
        {
            var d = GradientLanesWide((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            for (int j = 0; j < Vector512<double>.Count && k + j < output.Length; j++)
            {
                output[k + j] = (float)d[j];
            }
        }
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> GradientLanesWide(nuint o, in GradientConstantsWide c, ref double a, ref double gt, ref double m, ref double r, ref double negColumnH)
    {
        var target = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gt, o) + c.RowTerm, c.InverseNormaliser, Vector512.LoadUnsafe(ref negColumnH, o));
        var prediction = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, o), c.NegSumM, Vector512.LoadUnsafe(ref m, o));
        return Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, o) * target, c.InverseTauCol, prediction * c.InverseTauRow);
    }

    /// <summary>The 512-bit twin of the method of the same name without the suffix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double> QAll, Vector512<double> QGlobal, Vector512<double> TAll, Vector512<double> TGlobal) ViewSumsWide(
        int views, int global, int stride, int k, ref double a, ref double q, ReadOnlySpan<double> inverseNormaliser)
    {
        var qAll = Vector512<double>.Zero;
        var tAll = Vector512<double>.Zero;
        var qGlobal = Vector512<double>.Zero;
        var tGlobal = Vector512<double>.Zero;
        for (int v = 0; v < views; v++)
        {
            if (v == global)
            {
                qGlobal = qAll;
                tGlobal = tAll;
            }

            nuint o = (nuint)((v * stride) + k);
            qAll += Vector512.LoadUnsafe(ref q, o);
            tAll = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, o), Vector512.Create(inverseNormaliser[v]), tAll);
        }

        return global == views ? (qAll, qAll, tAll, tAll) : (qAll, qGlobal, tAll, tGlobal);
    }

    /// <summary>The 512-bit twin of GradientConstants.</summary>
    private readonly struct GradientConstantsWide(double inverseNormaliser, double rowTerm, double sumM, double inverseTauCol, double inverseTauRow)
    {
        public Vector512<double> InverseNormaliser { get; } = Vector512.Create(inverseNormaliser);

        public Vector512<double> RowTerm { get; } = Vector512.Create(rowTerm);

        public Vector512<double> NegSumM { get; } = Vector512.Create(-sumM);

        public Vector512<double> InverseTauCol { get; } = Vector512.Create(inverseTauCol);

        public Vector512<double> InverseTauRow { get; } = Vector512.Create(inverseTauRow);
    }
}
