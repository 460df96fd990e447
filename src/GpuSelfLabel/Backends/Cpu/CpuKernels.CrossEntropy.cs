using System.Buffers;
using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>
    /// Smallest collision sum D = Σ_k exp(z_k − max z) y_k the linear-domain row trusts. Above it every
    /// term dropped by underflow is below 1e-108 of D; below it (targets sit where σ is under ~1e-200)
    /// the row is redone in the log domain.
    /// </summary>
    private const double CollisionLinearFloor = 1e-200;

    public bool SkipsUnwantedTargetGradient => true;

    public void CollisionCrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor? dtargets)
    {
        int k = checked((int)logits.Columns);
        double inverseRows = 1.0 / logits.Rows;
        CpuRows.ForBlocks(logits.Rows, k, (start, end) =>
        {
            var scratch = ArrayPool<double>.Shared.Rent(2 * k);
            try
            {
                var shifted = scratch.AsSpan(0, k);
                var wideTargets = scratch.AsSpan(k, k);
                var perSample = CpuRows.All(losses);
                for (long i = start; i < end; i++)
                {
                    CpuPrefetch.Row(logits, i + 1);
                    CpuPrefetch.Row(targets, i + 1);
                    perSample[(int)i] = (float)CollisionRow(
                        CpuRows.Row(logits, i), CpuRows.Row(targets, i), CpuRows.Row(dlogits, i), dtargets is null ? [] : CpuRows.Row(dtargets, i), shifted, wideTargets, inverseRows);
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(scratch);
            }
        });
    }

    public void CrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits)
    {
        int k = checked((int)logits.Columns);
        double inverseRows = 1.0 / logits.Rows;
        CpuRows.ForBlocks(logits.Rows, k, (start, end) =>
        {
            var scratch = ArrayPool<double>.Shared.Rent(2 * k);
            try
            {
                var shifted = scratch.AsSpan(0, k);
                var wideTargets = scratch.AsSpan(k, k);
                var perSample = CpuRows.All(losses);
                for (long i = start; i < end; i++)
                {
                    CpuPrefetch.Row(logits, i + 1);
                    CpuPrefetch.Row(targets, i + 1);
                    perSample[(int)i] = (float)CrossEntropyRow(
                        CpuRows.Row(logits, i), CpuRows.Row(targets, i), CpuRows.Row(dlogits, i), shifted, wideTargets, inverseRows);
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(scratch);
            }
        });
    }

    /// <summary>
    /// One row of §2 in float64. With e_k = exp(z_k − max z), S = Σ e and D = Σ e y (both in the same
    /// shifted units): H2 = ln S − ln D, ∂/∂z_k = e_k (1/S − y_k/D)/N, ∂/∂y_k = −e_k/(N D). The shared
    /// shift makes ln S − ln D free of the cancellation LSE(z) − LSE(z + ln y) would suffer in float32.
    /// </summary>
    private static double CollisionRow(
        ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> dz, Span<float> dy, Span<double> e, Span<double> wideY, double inverseRows)
    {
        float max = TensorPrimitives.Max<float>(z);
        TensorPrimitives.ConvertChecked<float, double>(z, e);
        TensorPrimitives.Subtract(e, (double)max, e);
        TensorPrimitives.ConvertChecked<float, double>(y, wideY);
        TensorPrimitives.Exp(e, e);
        double s = TensorPrimitives.Sum<double>(e);
        double d = TensorPrimitives.Dot<double>(e, wideY);
        if (d < CollisionLinearFloor)
        {
            return CollisionRowLogDomain(z, y, dz, dy, max, s, inverseRows);
        }

        // ∂/∂z_k = e_k (1/S − y_k/D)/N, built in place over the widened targets, which are done with.
        double collisionScale = inverseRows / d;
        TensorPrimitives.Multiply(wideY, -collisionScale, wideY);
        TensorPrimitives.Add(wideY, inverseRows / s, wideY);
        TensorPrimitives.Multiply(wideY, e, wideY);
        TensorPrimitives.ConvertTruncating<double, float>(wideY, dz);

        // An empty dy: the caller does not want ∂L/∂y (targets that need no gradient).
        if (!dy.IsEmpty)
        {
            // The same saturation as SaturateToSingle: e_k/D can exceed float32 range when D is tiny.
            TensorPrimitives.Multiply(e, -collisionScale, wideY);
            TensorPrimitives.Max(wideY, -(double)float.MaxValue, wideY);
            TensorPrimitives.ConvertTruncating<double, float>(wideY, dy);
        }

        return Math.Log(s) - Math.Log(d);
    }

    /// <summary>
    /// The rare row whose targets put their mass where σ is below ~1e-200 (e.g. logits ±400): every
    /// quantity from logarithms, ln D = LSE_k(z_k − max z + ln y_k) over y_k &gt; 0. Validation
    /// guarantees some y_k &gt; 0, so ln D is finite and nothing here can become NaN.
    /// </summary>
    private static double CollisionRowLogDomain(
        ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> dz, Span<float> dy, float max, double s, double inverseRows)
    {
        double top = double.NegativeInfinity;
        for (int k = 0; k < z.Length; k++)
        {
            if (y[k] > 0)
            {
                top = Math.Max(top, (z[k] - (double)max) + Math.Log(y[k]));
            }
        }

        double tail = 0;
        for (int k = 0; k < z.Length; k++)
        {
            if (y[k] > 0)
            {
                tail += Math.Exp((z[k] - (double)max) + Math.Log(y[k]) - top);
            }
        }

        double logD = top + Math.Log(tail);
        double logS = Math.Log(s);
        for (int k = 0; k < z.Length; k++)
        {
            double w = z[k] - (double)max;
            double sigma = Math.Exp(w - logS);
            double q = y[k] > 0 ? Math.Exp(w + Math.Log(y[k]) - logD) : 0;
            dz[k] = (float)((sigma - q) * inverseRows);
            if (!dy.IsEmpty)
            {
                dy[k] = SaturateToSingle(-Math.Exp(w - logD) * inverseRows);
            }
        }

        return logS - logD;
    }

    /// <summary>
    /// One row of §3 in float64: −Σ y_k ln σ_k = (Σ y) ln S − Σ y_k (z_k − max z), two non-negative
    /// terms, so no cancellation; y_k = 0 multiplies a finite shifted logit and adds exactly 0.
    /// </summary>
    private static double CrossEntropyRow(
        ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> dz, Span<double> e, Span<double> wideY, double inverseRows)
    {
        float max = TensorPrimitives.Max<float>(z);
        TensorPrimitives.ConvertChecked<float, double>(z, e);
        TensorPrimitives.Subtract(e, (double)max, e);
        TensorPrimitives.ConvertChecked<float, double>(y, wideY);
        double weightedShift = TensorPrimitives.Dot<double>(wideY, e);
        double targetMass = TensorPrimitives.Sum<double>(wideY);
        TensorPrimitives.Exp(e, e);
        double s = TensorPrimitives.Sum<double>(e);
        TensorPrimitives.Multiply(e, 1.0 / s, e);
        TensorPrimitives.Subtract(e, wideY, e);
        TensorPrimitives.Multiply(e, inverseRows, e);
        TensorPrimitives.ConvertTruncating<double, float>(e, dz);

        return (targetMass * Math.Log(s)) - weightedShift;
    }

    /// <summary>
    /// float32 has no value for a true ∂L/∂y beyond ±3.4e38 (targets on a class with σ ≈ e^-160 give
    /// e^160): it saturates to ±float.MaxValue rather than ±∞, so later products stay free of NaN.
    /// </summary>
    private static float SaturateToSingle(double value) => (float)Math.Clamp(value, -float.MaxValue, float.MaxValue);
}
