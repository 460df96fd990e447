using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The loops of <see cref="SelfClassifierRowMath"/> for one vector width, written once for every
/// width: <typeparamref name="TLanes"/> supplies the operations on <typeparamref name="TVector"/>
/// (<see cref="IDoubleLanes{TVector}"/>). The row loops stop before a logit row's last partial pair of
/// vectors, for a narrower instantiation or the scalar tail of <see cref="SelfClassifierRowMath"/> to finish.
/// The loops are compiled fully optimised from their first call: unoptimised code would call every
/// <typeparamref name="TLanes"/> member, not inline it, and run many times slower until the runtime
/// recompiles it (seconds into a run of the passes).
/// </summary>
/// <typeparam name="TLanes">The operations on the vector type.</typeparam>
/// <typeparam name="TVector">The vector type.</typeparam>
internal static class SelfClassifierRowLoops<TLanes, TVector>
    where TLanes : struct, IDoubleLanes<TVector>
    where TVector : unmanaged
{
    /// <summary>
    /// The whole vectors of <see cref="SelfClassifierRowMath.ExpOfShifted"/>
    /// from <paramref name="start"/> on, advancing it past them; returns their Σ e.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double ExpOfShifted(ReadOnlySpan<float> s, float shift, double scale, Span<double> e, ref int start)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double er = ref MemoryMarshal.GetReference(e);
        var c = TLanes.Create(shift);
        var k2 = TLanes.Create(scale);
        var sum = TLanes.Create(0);
        int k = start;
        for (; k <= s.Length - (2 * TLanes.Count); k += 2 * TLanes.Count)
        {
            var (s0, s1) = TLanes.LoadWidened(ref sr, (nuint)k);
            var e0 = DoubleExp.Exp<TLanes, TVector>(TLanes.Multiply(TLanes.Subtract(s0, c), k2));
            var e1 = DoubleExp.Exp<TLanes, TVector>(TLanes.Multiply(TLanes.Subtract(s1, c), k2));
            TLanes.Store(e0, ref er, (nuint)k);
            TLanes.Store(e1, ref er, (nuint)(k + TLanes.Count));
            sum = TLanes.Add(sum, TLanes.Add(e0, e1));
        }

        start = k;
        return TLanes.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ReadOnlySpan<double> e, double w, Span<double> sums)
    {
        ref double er = ref MemoryMarshal.GetReference(e);
        ref double sr = ref MemoryMarshal.GetReference(sums);
        var wv = TLanes.Create(w);
        for (int k = 0; k < sums.Length; k += TLanes.Count)
        {
            TLanes.Store(TLanes.FusedMultiplyAdd(TLanes.Load(ref er, (nuint)k), wv, TLanes.Load(ref sr, (nuint)k)), ref sr, (nuint)k);
        }
    }

    /// <summary>The whole vectors of <see cref="SelfClassifierRowMath.AddExpOfShifted"/> from <paramref name="start"/> on, advancing it past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddExpOfShifted(ReadOnlySpan<float> s, ReadOnlySpan<double> shift, double scale, Span<double> sums, ref int start)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double cr = ref MemoryMarshal.GetReference(shift);
        ref double ar = ref MemoryMarshal.GetReference(sums);
        var k2 = TLanes.Create(scale);
        int k = start;
        for (; k <= s.Length - (2 * TLanes.Count); k += 2 * TLanes.Count)
        {
            var (s0, s1) = TLanes.LoadWidened(ref sr, (nuint)k);
            nuint k0 = (nuint)k;
            nuint k1 = (nuint)(k + TLanes.Count);
            var e0 = DoubleExp.Exp<TLanes, TVector>(TLanes.Multiply(TLanes.Subtract(s0, TLanes.Load(ref cr, k0)), k2));
            var e1 = DoubleExp.Exp<TLanes, TVector>(TLanes.Multiply(TLanes.Subtract(s1, TLanes.Load(ref cr, k1)), k2));
            TLanes.Store(TLanes.Add(TLanes.Load(ref ar, k0), e0), ref ar, k0);
            TLanes.Store(TLanes.Add(TLanes.Load(ref ar, k1), e1), ref ar, k1);
        }

        start = k;
    }

    /// <summary>The whole vectors of <see cref="SelfClassifierRowMath.SampleView"/> from <paramref name="start"/> on, advancing it past them; returns their Σ A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SampleView(
        ReadOnlySpan<float> s,
        double inverseTauCol,
        ReadOnlySpan<double> columnMax,
        ReadOnlySpan<double> negColumnLogSum,
        double inverseTauRow,
        double rowMax,
        double rowLogSum,
        ReadOnlySpan<double> predictionScale,
        double epsilon,
        Span<double> a,
        Span<double> q,
        Span<double> ratio,
        Span<double> r,
        ref int start)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref double cmr = ref MemoryMarshal.GetReference(columnMax);
        ref double clr = ref MemoryMarshal.GetReference(negColumnLogSum);
        ref double psr = ref MemoryMarshal.GetReference(predictionScale);
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double rr = ref MemoryMarshal.GetReference(r);
        bool keepR = !r.IsEmpty;
        var kc = TLanes.Create(inverseTauCol);
        var kr = TLanes.Create(inverseTauRow);
        var mr = TLanes.Create(rowMax);
        var nlr = TLanes.Create(-rowLogSum);
        var eps = TLanes.Create(epsilon);
        var sum = TLanes.Create(0);
        int k = start;
        for (; k <= s.Length - (2 * TLanes.Count); k += 2 * TLanes.Count)
        {
            var (s0, s1) = TLanes.LoadWidened(ref sr, (nuint)k);
            nuint o0 = (nuint)k;
            nuint o1 = (nuint)(k + TLanes.Count);
            var (a0, r0, q0, t0) = SampleLanes(s0, kc, TLanes.Load(ref cmr, o0), TLanes.Load(ref clr, o0), kr, mr, nlr, TLanes.Load(ref psr, o0), eps);
            var (a1, r1, q1, t1) = SampleLanes(s1, kc, TLanes.Load(ref cmr, o1), TLanes.Load(ref clr, o1), kr, mr, nlr, TLanes.Load(ref psr, o1), eps);
            TLanes.Store(a0, ref ar, o0);
            TLanes.Store(a1, ref ar, o1);
            TLanes.Store(q0, ref qr, o0);
            TLanes.Store(q1, ref qr, o1);
            TLanes.Store(t0, ref tr, o0);
            TLanes.Store(t1, ref tr, o1);
            if (keepR)
            {
                TLanes.Store(r0, ref rr, o0);
                TLanes.Store(r1, ref rr, o1);
            }

            sum = TLanes.Add(sum, TLanes.Add(a0, a1));
        }

        start = k;
        return TLanes.Sum(sum);
    }

    /// <summary>
    /// The elements of <see cref="SelfClassifierRowMath.SampleView"/> from <paramref name="start"/> on, one
    /// at a time (lane 0 of a broadcast, so each value is the one a vector would give); returns
    /// <paramref name="sum"/> + their A, added in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SampleViewElements(
        ReadOnlySpan<float> s,
        double inverseTauCol,
        ReadOnlySpan<double> columnMax,
        ReadOnlySpan<double> negColumnLogSum,
        double inverseTauRow,
        double rowMax,
        double rowLogSum,
        ReadOnlySpan<double> predictionScale,
        double epsilon,
        Span<double> a,
        Span<double> q,
        Span<double> ratio,
        Span<double> r,
        int start,
        double sum)
    {
        var kc = TLanes.Create(inverseTauCol);
        var kr = TLanes.Create(inverseTauRow);
        var mr = TLanes.Create(rowMax);
        var nlr = TLanes.Create(-rowLogSum);
        var eps = TLanes.Create(epsilon);
        for (int k = start; k < s.Length; k++)
        {
            var (av, rv, qv, tv) = SampleLanes(TLanes.Create(s[k]), kc, TLanes.Create(columnMax[k]), TLanes.Create(negColumnLogSum[k]), kr, mr, nlr, TLanes.Create(predictionScale[k]), eps);
            a[k] = TLanes.Element(av, 0);
            q[k] = TLanes.Element(qv, 0);
            ratio[k] = TLanes.Element(tv, 0);
            if (!r.IsEmpty)
            {
                r[k] = TLanes.Element(rv, 0);
            }

            sum += a[k];
        }

        return sum;
    }

    /// <summary>
    /// A, R, Q and ratio of <see cref="SampleView"/> for one vector of logits. The exponents are
    /// (s − max)·τ⁻¹ − ln Σ, as kernels/self_classifier.cu forms them, not s·τ⁻¹ − (max·τ⁻¹ + ln Σ):
    /// near |s| = 3e38 with τ⁻¹ not a power of two the fused s·τ⁻¹ is exact while the shift was rounded
    /// to a unit of 1e19 or more, so the exponent came out ±1e19 (A, R infinite, NaN gradients), and
    /// ln Σ vanished in that rounding (A no longer a softmax). s − max is exact or small there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector A, TVector R, TVector Q, TVector Ratio) SampleLanes(
        TVector s,
        TVector inverseTauCol,
        TVector columnMax,
        TVector negColumnLogSum,
        TVector inverseTauRow,
        TVector rowMax,
        TVector negRowLogSum,
        TVector predictionScale,
        TVector epsilon)
    {
        var a = DoubleExp.Exp<TLanes, TVector>(TLanes.FusedMultiplyAdd(TLanes.Subtract(s, columnMax), inverseTauCol, negColumnLogSum));
        var r = DoubleExp.Exp<TLanes, TVector>(TLanes.FusedMultiplyAdd(TLanes.Subtract(s, rowMax), inverseTauRow, negRowLogSum));
        var scaled = TLanes.Multiply(r, predictionScale);
        var shifted = TLanes.Add(scaled, epsilon);
        return (a, r, DoubleLog.Log<TLanes, TVector>(shifted), TLanes.Divide(scaled, shifted));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double hr = ref MemoryMarshal.GetReference(columnH);
        ref double kr = ref MemoryMarshal.GetReference(columnK);
        var mw = TLanes.Create(minusW);
        Span<TVector> lanes = stackalloc TVector[views];
        lanes.Clear();
        for (int k = 0; k < stride; k += TLanes.Count)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSums(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = TLanes.Load(ref qr, o);
                var t = TLanes.Multiply(TLanes.Load(ref ar, o), TLanes.Create(inverseNormaliser[v]));

                // A global view pairs with every other view, a local one with the global views only.
                var g = v < global ? TLanes.Subtract(qAll, qv) : qGlobal;
                var gq = v < global ? TLanes.Subtract(tAll, t) : tGlobal;
                var tg = TLanes.Multiply(t, g);
                lanes[v] = TLanes.Add(lanes[v], tg);
                TLanes.Store(TLanes.FusedMultiplyAdd(tg, mw, TLanes.Load(ref hr, o)), ref hr, o);
                TLanes.Store(TLanes.FusedMultiplyAdd(TLanes.Multiply(gq, TLanes.Load(ref tr, o)), mw, TLanes.Load(ref kr, o)), ref kr, o);
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = TLanes.Sum(lanes[v]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double qr = ref MemoryMarshal.GetReference(q);
        ref double tr = ref MemoryMarshal.GetReference(ratio);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double pr = ref MemoryMarshal.GetReference(predictionScale);
        ref double cr = ref MemoryMarshal.GetReference(columnKOverScale);
        var mw = TLanes.Create(minusW);
        Span<TVector> lanes = stackalloc TVector[2 * views];
        lanes.Clear();
        for (int k = 0; k < stride; k += TLanes.Count)
        {
            var (qAll, qGlobal, tAll, tGlobal) = ViewSums(views, global, stride, k, ref ar, ref qr, inverseNormaliser);
            for (int v = 0; v < views; v++)
            {
                nuint o = (nuint)((v * stride) + k);
                var qv = TLanes.Load(ref qr, o);
                var t = TLanes.Multiply(TLanes.Load(ref ar, o), TLanes.Create(inverseNormaliser[v]));
                var g = v < global ? TLanes.Subtract(qAll, qv) : qGlobal;
                var gq = v < global ? TLanes.Subtract(tAll, t) : tGlobal;
                lanes[v] = TLanes.Add(lanes[v], TLanes.Multiply(t, g));
                TLanes.Store(TLanes.Multiply(mw, g), ref qr, o);
                var scaled = TLanes.Multiply(TLanes.Load(ref rr, o), TLanes.Load(ref pr, o));
                var m = TLanes.FusedMultiplyAdd(scaled, TLanes.Load(ref cr, o), TLanes.Multiply(TLanes.Multiply(mw, gq), TLanes.Load(ref tr, o)));
                TLanes.Store(m, ref tr, o);
                lanes[views + v] = TLanes.Add(lanes[views + v], m);
            }
        }

        for (int v = 0; v < views; v++)
        {
            loss[v] = TLanes.Sum(lanes[v]);
            sumM[v] = TLanes.Sum(lanes[views + v]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double gr = ref MemoryMarshal.GetReference(gt);
        ref double mr = ref MemoryMarshal.GetReference(m);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double hr = ref MemoryMarshal.GetReference(negColumnH);
        ref float outr = ref MemoryMarshal.GetReference(output);
        var c = new GradientConstants(inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow);
        int k = 0;
        for (; k <= output.Length - (2 * TLanes.Count); k += 2 * TLanes.Count)
        {
            var d0 = GradientLanes((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            var d1 = GradientLanes((nuint)(k + TLanes.Count), in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            TLanes.StoreNarrowed(d0, d1, ref outr, (nuint)k);
        }

        // The buffers are padded to whole vectors, so the last one is computed whole and written in part.
        for (; k < output.Length; k += TLanes.Count)
        {
            var d = GradientLanes((nuint)k, in c, ref ar, ref gr, ref mr, ref rr, ref hr);
            for (int j = 0; j < TLanes.Count && k + j < output.Length; j++)
            {
                output[k + j] = (float)TLanes.Element(d, j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector GradientLanes(nuint o, in GradientConstants c, ref double a, ref double gt, ref double m, ref double r, ref double negColumnH)
    {
        var target = TLanes.FusedMultiplyAdd(TLanes.Add(TLanes.Load(ref gt, o), c.RowTerm), c.InverseNormaliser, TLanes.Load(ref negColumnH, o));
        var prediction = TLanes.FusedMultiplyAdd(TLanes.Load(ref r, o), c.NegSumM, TLanes.Load(ref m, o));
        return TLanes.FusedMultiplyAdd(TLanes.Multiply(TLanes.Load(ref a, o), target), c.InverseTauCol, TLanes.Multiply(prediction, c.InverseTauRow));
    }

    /// <summary>(Σ_v Q^v, Σ_{v&lt;G} Q^v, Σ_v T^v, Σ_{v&lt;G} T^v) of one vector of classes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector QAll, TVector QGlobal, TVector TAll, TVector TGlobal) ViewSums(
        int views, int global, int stride, int k, ref double a, ref double q, ReadOnlySpan<double> inverseNormaliser)
    {
        var qAll = TLanes.Create(0);
        var tAll = TLanes.Create(0);
        var qGlobal = TLanes.Create(0);
        var tGlobal = TLanes.Create(0);
        for (int v = 0; v < views; v++)
        {
            if (v == global)
            {
                qGlobal = qAll;
                tGlobal = tAll;
            }

            nuint o = (nuint)((v * stride) + k);
            qAll = TLanes.Add(qAll, TLanes.Load(ref q, o));
            tAll = TLanes.FusedMultiplyAdd(TLanes.Load(ref a, o), TLanes.Create(inverseNormaliser[v]), tAll);
        }

        return global == views ? (qAll, qAll, tAll, tAll) : (qAll, qGlobal, tAll, tGlobal);
    }

    private readonly struct GradientConstants(double inverseNormaliser, double rowTerm, double sumM, double inverseTauCol, double inverseTauRow)
    {
        public TVector InverseNormaliser { get; } = TLanes.Create(inverseNormaliser);

        public TVector RowTerm { get; } = TLanes.Create(rowTerm);

        public TVector NegSumM { get; } = TLanes.Create(-sumM);

        public TVector InverseTauCol { get; } = TLanes.Create(inverseTauCol);

        public TVector InverseTauRow { get; } = TLanes.Create(inverseTauRow);
    }
}
