using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NarrowLoops = GpuSelfLabel.Backends.Cpu.SelfClassifierRowLoops<GpuSelfLabel.Backends.Cpu.VectorLanes, System.Numerics.Vector<double>>;
using WideLoops = GpuSelfLabel.Backends.Cpu.SelfClassifierRowLoops<GpuSelfLabel.Backends.Cpu.Vector512Lanes, System.Runtime.Intrinsics.Vector512<double>>;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The fused row loops of the CPU Self-Classifier passes: each reads a float32 logit row once, widens
/// it to float64 and keeps the arguments, exponentials and logarithms of an element in registers
/// (<see cref="DoubleExp"/>, <see cref="DoubleLog"/>). Per-class float64 buffers are padded to a
/// whole number of vectors with zeros, which every product below keeps at zero, so the loops over
/// buffers need no tails; the loops over a logit row finish its last elements one at a time with the
/// same vector arithmetic (lane 0 of a broadcast), so a value never depends on where it sits.
/// Each loop is written once, generic over its vector width (<see cref="SelfClassifierRowLoops{TLanes, TVector}"/>);
/// the methods here choose the width.
/// </summary>
internal static class SelfClassifierRowMath
{
    private static int FloatWidth => Vector<float>.Count;

    /// <summary>
    /// Whether the exponential loops run on 512-bit vectors: Vector&lt;T&gt; stays 256 bits wide on
    /// AVX-512 hardware, where these loops, bound by the float64 exp and log, would use half the lanes.
    /// </summary>
    private static bool Wide => Vector512.IsHardwareAccelerated && Vector<double>.Count < Vector512<double>.Count;

    /// <summary>Length of a per-class float64 buffer: C rounded up to whole vectors of either width.</summary>
    public static int Padded(int classes)
    {
        int unit = Math.Max(Vector<double>.Count, Vector512<double>.Count);
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
        int k = 0;
        double sum = Wide ? WideLoops.ExpOfShifted(s, shift, scale, e, ref k) : 0;
        sum += NarrowLoops.ExpOfShifted(s, shift, scale, e, ref k);
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
            WideLoops.AddScaled(e, w, sums);
        }
        else
        {
            NarrowLoops.AddScaled(e, w, sums);
        }
    }

    /// <summary>sums_y += exp((s_y − shift_y)·scale) for every class (the difference exact in float64).</summary>
    public static void AddExpOfShifted(ReadOnlySpan<float> s, ReadOnlySpan<double> shift, double scale, Span<double> sums)
    {
        int k = 0;
        if (Wide)
        {
            WideLoops.AddExpOfShifted(s, shift, scale, sums, ref k);
        }

        NarrowLoops.AddExpOfShifted(s, shift, scale, sums, ref k);
        for (; k < s.Length; k++)
        {
            sums[k] += DoubleExp.Exp((s[k] - shift[k]) * scale);
        }
    }

    /// <summary>
    /// One view of one sample: A_y = exp((s_y − columnMax_y)·τ_c⁻¹ + negColumnLogSum_y) (the column
    /// softmax), R_y = exp((s_y − rowMax)·τ_r⁻¹ − rowLogSum) (the row softmax), (N/C)P_y =
    /// R_y·predictionScale_y, Q_y = ln((N/C)P_y + ε)
    /// and ratio_y = (N/C)P_y / ((N/C)P_y + ε); writes A, Q, ratio and, when <paramref name="r"/> is not
    /// empty, R. Returns a_n = Σ_y A_y.
    /// </summary>
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
        Span<double> r)
    {
        int k = 0;
        double total = Wide ? WideLoops.SampleView(s, inverseTauCol, columnMax, negColumnLogSum, inverseTauRow, rowMax, rowLogSum, predictionScale, epsilon, a, q, ratio, r, ref k) : 0;
        total += NarrowLoops.SampleView(s, inverseTauCol, columnMax, negColumnLogSum, inverseTauRow, rowMax, rowLogSum, predictionScale, epsilon, a, q, ratio, r, ref k);
        return NarrowLoops.SampleViewElements(s, inverseTauCol, columnMax, negColumnLogSum, inverseTauRow, rowMax, rowLogSum, predictionScale, epsilon, a, q, ratio, r, k, total);
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
            WideLoops.LossColumns(views, global, stride, a, q, ratio, inverseNormaliser, minusW, loss, columnH, columnK);
        }
        else
        {
            NarrowLoops.LossColumns(views, global, stride, a, q, ratio, inverseNormaliser, minusW, loss, columnH, columnK);
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
            WideLoops.GradientColumns(views, global, stride, a, q, ratio, r, inverseNormaliser, minusW, predictionScale, columnKOverScale, loss, sumM);
        }
        else
        {
            NarrowLoops.GradientColumns(views, global, stride, a, q, ratio, r, inverseNormaliser, minusW, predictionScale, columnKOverScale, loss, sumM);
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
            WideLoops.GradientRow(a, gt, m, r, negColumnH, inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow, output);
        }
        else
        {
            NarrowLoops.GradientRow(a, gt, m, r, negColumnH, inverseNormaliser, rowTerm, sumM, inverseTauCol, inverseTauRow, output);
        }
    }
}
