using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    public bool SoftmaxForward(Tensor logits, Tensor output, float temperature, bool logarithm)
    {
        float inverseTemperature = 1f / temperature;
        bool finite = true;
        CpuRows.ForBlocks(logits.Rows, logits.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(logits, i + 1);
                var z = CpuRows.Row(logits, i);
                var o = CpuRows.Row(output, i);

                // The finiteness screen, while the row is in cache: NaN propagates through MaxMagnitude,
                // and ±∞ is its own magnitude. A separate validation pass would read the logits again.
                if (!float.IsFinite(TensorPrimitives.MaxMagnitude(z)))
                {
                    Volatile.Write(ref finite, false);
                }

                if (logarithm)
                {
                    LogSoftmaxRow(z, o, inverseTemperature);
                }
                else
                {
                    SoftmaxRow(z, o, inverseTemperature);
                }
            }
        });
        return finite;
    }

    public bool SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature, bool logarithm)
    {
        float inverseTemperature = 1f / temperature;
        bool finite = true;
        CpuRows.ForBlocks(probs.Rows, probs.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(probs, i + 1);
                CpuPrefetch.Row(grad, i + 1);
                var p = CpuRows.Row(probs, i);
                var g = CpuRows.Row(grad, i);
                var d = CpuRows.Row(dlogits, i);
                if (logarithm)
                {
                    // Σ g alone says nothing about ln σ, so the pass that writes d also sums ln σ: a NaN or
                    // infinite ln σ (which exp would hide as 0 or e^88) makes that sum non-finite.
                    float sum = TensorPrimitives.Sum<float>(g);
                    float logSum = LogSoftmaxBackwardRow(p, g, d, sum, inverseTemperature);
                    if (!float.IsFinite(sum) || !float.IsFinite(logSum))
                    {
                        Volatile.Write(ref finite, false);
                    }

                    continue;
                }

                // Σgσ and g − Σgσ in float64 (as kernels/softmax.cu): the difference cancels when g is
                // nearly constant over the row, and a float32 sum left it, divided by a small τ, outside
                // ops.md's 1e-4 relative contract. A NaN or infinite σ or g makes the sum non-finite;
                // finite float32 inputs cannot overflow it.
                double dot = WideDot(g, p);
                if (!double.IsFinite(dot))
                {
                    Volatile.Write(ref finite, false);
                }

                SoftmaxBackwardRowWide(p, g, dot, inverseTemperature, d);
            }
        });
        return finite;
    }

    /// <summary>Σ_k g_k σ_k in float64: each float32 product is exact in double, so only the additions round.</summary>
    private static double WideDot(ReadOnlySpan<float> g, ReadOnlySpan<float> p)
    {
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float pr = ref MemoryMarshal.GetReference(p);
        var low = Vector<double>.Zero;
        var high = Vector<double>.Zero;
        int width = Vector<float>.Count;
        int k = 0;
        for (; k <= g.Length - width; k += width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref gr, (nuint)k), out var gLow, out var gHigh);
            Vector.Widen(Vector.LoadUnsafe(ref pr, (nuint)k), out var pLow, out var pHigh);
            low = Vector.FusedMultiplyAdd(gLow, pLow, low);
            high = Vector.FusedMultiplyAdd(gHigh, pHigh, high);
        }

        double sum = Vector.Sum(low + high);
        for (; k < g.Length; k++)
        {
            sum += (double)g[k] * p[k];
        }

        return sum;
    }

    /// <summary>d_k = σ_k (g_k − dot)·s with the difference and products in float64, so neither cancellation nor overflow reaches d.</summary>
    private static void SoftmaxBackwardRowWide(ReadOnlySpan<float> p, ReadOnlySpan<float> g, double dot, float scale, Span<float> d)
    {
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float dr = ref MemoryMarshal.GetReference(d);
        var dots = new Vector<double>(dot);
        var s = new Vector<double>(scale);
        int width = Vector<float>.Count;
        int k = 0;
        for (; k <= d.Length - width; k += width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref gr, (nuint)k), out var gLow, out var gHigh);
            Vector.Widen(Vector.LoadUnsafe(ref pr, (nuint)k), out var pLow, out var pHigh);
            Vector.Narrow((gLow - dots) * pLow * s, (gHigh - dots) * pHigh * s).StoreUnsafe(ref dr, (nuint)k);
        }

        for (; k < d.Length; k++)
        {
            d[k] = (float)(((double)g[k] - dot) * p[k] * scale);
        }
    }

    /// <summary>
    /// d_k = (g_k − e^{l_k}·sum)·s for one row of ln σ = l, in one pass that also returns Σ l_k (the
    /// finiteness screen). σ = e^{l} comes from the float32 exponential (<see cref="SingleExp"/>, within
    /// 2 ulp; below e^-87.3 it gives 0, where σ·Σg is far below the contract's absolute 1e-6).
    /// </summary>
    private static float LogSoftmaxBackwardRow(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> g, Span<float> d, float sum, float scale)
    {
        ref float lr = ref MemoryMarshal.GetReference(logProbs);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float dr = ref MemoryMarshal.GetReference(d);
        var negativeSum = new Vector<float>(-sum);
        var s = new Vector<float>(scale);
        var screen = Vector<float>.Zero;
        int width = Vector<float>.Count;
        int k = 0;
        for (; k <= logProbs.Length - width; k += width)
        {
            var l = Vector.LoadUnsafe(ref lr, (nuint)k);
            screen += l;
            var e = SingleExp.Exp(l);
            (Vector.FusedMultiplyAdd(e, negativeSum, Vector.LoadUnsafe(ref gr, (nuint)k)) * s).StoreUnsafe(ref dr, (nuint)k);
        }

        float logSum = Vector.Sum(screen);
        for (; k < logProbs.Length; k++)
        {
            logSum += logProbs[k];
            d[k] = MathF.FusedMultiplyAdd(SingleExp.Exp(logProbs[k]), -sum, g[k]) * scale;
        }

        return logSum;
    }

    /// <summary>
    /// σ = softmax(z·s) of one row, max-shifted so no exponential overflows: the max, then one loop that
    /// writes the exponentials and sums them, then the scaling (three passes over a row in L1 where a
    /// chain of whole-row primitives takes five).
    /// </summary>
    private static void SoftmaxRow(ReadOnlySpan<float> z, Span<float> output, float scale)
    {
        float sum = ShiftedExponentials(z, scale, TensorPrimitives.Max<float>(z), output, keepArguments: false);
        TensorPrimitives.Multiply(output, 1f / sum, output);
    }

    /// <summary>ln σ = (z − max)·s − ln Σ exp((z − max)·s) of one row.</summary>
    private static void LogSoftmaxRow(ReadOnlySpan<float> z, Span<float> output, float scale)
    {
        float max = TensorPrimitives.Max<float>(z);
        float logSum = MathF.Log(ShiftedExponentials(z, scale, max, output, keepArguments: true));
        TensorPrimitives.Subtract(output, logSum, output);

        // z − max overflows float32 to −∞ when the row spans beyond 3.4e38 (±3e38); scaled by 1/τ < 1 the
        // true ln σ may still fit, so such elements (rare; the row is in cache) are redone in float64.
        // With 1/τ ≥ 1 an overflowed difference is a true −∞ in float32, and the common path pays nothing.
        if (scale < 1f && float.IsNegativeInfinity(TensorPrimitives.Min<float>(output)))
        {
            for (int k = 0; k < output.Length; k++)
            {
                if (float.IsNegativeInfinity(output[k]))
                {
                    output[k] = (float)((((double)z[k] - max) * scale) - logSum);
                }
            }
        }
    }

    /// <summary>
    /// d_k = (z_k − max)·s, output_k = e^{d_k} (or d_k itself when <paramref name="keepArguments"/>);
    /// returns Σ e^{d_k}. The shift comes before the scaling, as in the kernels, so a small temperature
    /// (s up to 1e30) never makes z·s overflow to ∞ − ∞. The float32 exponential is within 2 ulp
    /// (<see cref="SingleExp"/>) and d's rounding adds at most 1.2e-7·|d| relative, far inside the contract.
    /// </summary>
    private static float ShiftedExponentials(ReadOnlySpan<float> z, float scale, float max, Span<float> output, bool keepArguments)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float or = ref MemoryMarshal.GetReference(output);
        var s = new Vector<float>(scale);
        var shift = new Vector<float>(max);
        var sum0 = Vector<float>.Zero;
        var sum1 = Vector<float>.Zero;
        int width = Vector<float>.Count;
        int k = 0;
        for (; k <= z.Length - (2 * width); k += 2 * width)
        {
            var d0 = (Vector.LoadUnsafe(ref zr, (nuint)k) - shift) * s;
            var d1 = (Vector.LoadUnsafe(ref zr, (nuint)(k + width)) - shift) * s;
            var e0 = SingleExp.Exp(d0);
            var e1 = SingleExp.Exp(d1);
            (keepArguments ? d0 : e0).StoreUnsafe(ref or, (nuint)k);
            (keepArguments ? d1 : e1).StoreUnsafe(ref or, (nuint)(k + width));
            sum0 += e0;
            sum1 += e1;
        }

        float sum = Vector.Sum(sum0 + sum1);
        for (; k < z.Length; k++)
        {
            float d = (z[k] - max) * scale;
            float e = SingleExp.Exp(d);
            output[k] = keepArguments ? d : e;
            sum += e;
        }

        return sum;
    }
}
