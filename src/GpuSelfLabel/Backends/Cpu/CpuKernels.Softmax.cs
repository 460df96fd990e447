using System.Numerics.Tensors;

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

    public bool SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature)
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
                float dot = TensorPrimitives.Dot<float>(g, p);

                // A NaN or infinite σ or g makes its product, and so the sum, non-finite; a finite
                // product that overflows makes the caller check and find nothing, which is right too.
                if (!float.IsFinite(dot))
                {
                    Volatile.Write(ref finite, false);
                }

                TensorPrimitives.Subtract(g, dot, d);
                TensorPrimitives.Multiply(d, p, d);

                // τ = 1 (the common case) would multiply by exactly 1: skip the pass over the row.
                if (inverseTemperature != 1f)
                {
                    TensorPrimitives.Multiply(d, inverseTemperature, d);
                }
            }
        });
        return finite;
    }

    /// <summary>σ = softmax(z·s) of one row, max-shifted so no exponential overflows.</summary>
    internal static void SoftmaxRow(ReadOnlySpan<float> z, Span<float> output, float scale)
    {
        ScaleAndShift(z, output, scale);
        TensorPrimitives.Exp(output, output);
        float sum = TensorPrimitives.Sum<float>(output);
        TensorPrimitives.Multiply(output, 1f / sum, output);
    }

    /// <summary>ln σ = z·s − max − ln Σ exp(z·s − max) of one row; returns the row's LSE of z·s.</summary>
    internal static float LogSoftmaxRow(ReadOnlySpan<float> z, Span<float> output, float scale)
    {
        float max = ScaleAndShift(z, output, scale);
        float logSum = MathF.Log(SumExp(output));
        TensorPrimitives.Subtract(output, logSum, output);
        return max + logSum;
    }

    /// <summary>output = z·s − max(z·s); returns max(z·s).</summary>
    internal static float ScaleAndShift(ReadOnlySpan<float> z, Span<float> output, float scale)
    {
        float max;
        if (scale == 1f)
        {
            // The max of z itself, then one pass that writes the shifted row: no copy of z first.
            max = TensorPrimitives.Max<float>(z);
            TensorPrimitives.Subtract(z, max, output);
            return max;
        }

        TensorPrimitives.Multiply(z, scale, output);
        max = TensorPrimitives.Max<float>(output);
        TensorPrimitives.Subtract(output, max, output);
        return max;
    }

    /// <summary>Σ exp(x) of an already shifted row (every x ≤ 0), without keeping the exponentials.</summary>
    internal static float SumExp(ReadOnlySpan<float> shifted)
    {
        const int Chunk = 256;
        Span<float> buffer = stackalloc float[Chunk];
        float sum = 0;
        for (int k = 0; k < shifted.Length; k += Chunk)
        {
            var part = shifted.Slice(k, Math.Min(Chunk, shifted.Length - k));
            var e = buffer[..part.Length];
            TensorPrimitives.Exp(part, e);
            sum += TensorPrimitives.Sum<float>(e);
        }

        return sum;
    }
}
