using TorchSharp;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp.Interop;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Turns a gradient the fused forward pass already computed for the mean loss (∂L/∂x with L the mean
/// over rows) into the gradient autograd asks for, given the upstream gradient of the returned loss.
/// The common call, <c>loss.backward()</c> on a mean loss, passes 1 and gets the saved tensor itself:
/// no pass over the data. Otherwise one elementwise multiply.
/// </summary>
internal static class LossGradients
{
    /// <param name="saved">∂mean/∂x, float32, first dimension the rows.</param>
    /// <param name="upstream">The gradient of the returned loss: a scalar, or one value per row for <see cref="Reduction.None"/>.</param>
    /// <param name="reduction">How the returned loss was reduced.</param>
    /// <param name="rows">N, the number of rows the mean divided by.</param>
    /// <param name="dtype">The dtype of the input the gradient belongs to.</param>
    public static Tensor Scale(Tensor saved, Tensor upstream, Reduction reduction, long rows, torch.ScalarType dtype)
    {
        Tensor result;
        switch (reduction)
        {
            case Reduction.Mean when IsOne(upstream):
                result = saved;
                break;
            case Reduction.Mean:
                result = saved.mul(upstream.to(torch.ScalarType.Float32));
                break;
            case Reduction.Sum:
                using (var scale = upstream.to(torch.ScalarType.Float32).mul(rows))
                {
                    result = saved.mul(scale);
                }

                break;
            default:
                using (var perRow = upstream.to(torch.ScalarType.Float32).mul(rows))
                using (var shaped = perRow.reshape(PerRowShape(saved)))
                {
                    result = saved.mul(shaped);
                }

                break;
        }

        return TorchMemory.As(result, dtype);
    }

    /// <summary>
    /// The loss tensor forward returns: the mean, the sum (mean·N) or, for <see cref="Reduction.None"/>,
    /// the per-row losses <paramref name="perRow"/> (disposed when not returned).
    /// </summary>
    public static Tensor Loss(double mean, Tensor? perRow, Reduction reduction, long rows, Tensor like)
    {
        if (reduction == Reduction.None)
        {
            return TorchMemory.As(perRow!, like.dtype);
        }

        perRow?.Dispose();
        double value = reduction == Reduction.Sum ? mean * rows : mean;
        return torch.tensor(value, like.dtype, like.device);
    }

    /// <summary>Whether a scalar upstream gradient is exactly 1 (read only on the CPU, where it costs nothing).</summary>
    private static bool IsOne(Tensor upstream) =>
        upstream.device_type == DeviceType.CPU && upstream.numel() == 1 && upstream.dtype switch
        {
            torch.ScalarType.Float32 => upstream.item<float>() == 1f,
            torch.ScalarType.Float64 => upstream.item<double>() == 1.0,
            _ => false,
        };

    private static long[] PerRowShape(Tensor saved)
    {
        var shape = new long[saved.dim()];
        Array.Fill(shape, 1L);
        shape[0] = saved.shape[0];
        return shape;
    }
}
