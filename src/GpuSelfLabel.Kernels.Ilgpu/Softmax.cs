using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// ops.md section 1 (softmax, log-softmax, softmax backward over N×K row-major float32): the kernels of
/// kernels/softmax.cu in C#, with the same parameters in the same order, so the launchers of
/// GpuKernels.Softmax.cs start either (one group per row, grid-stride beyond the grid, a power-of-two
/// group of at most 256).
/// <list type="bullet">
/// <item><c>softmax_forward_rows(z, out, rows, cols, inverse_temperature, logarithm)</c> reads z twice
/// per row (online max and sum of exp((z − m)/τ), then the outputs) and writes out (rows × cols) once:
/// σ or, with logarithm ≠ 0, ln σ.</item>
/// <item><c>softmax_backward_rows(probs, grad, dlogits, rows, cols, inverse_temperature, logarithm)</c>
/// reads σ and g for Σ g σ (Σ g with logarithm ≠ 0, probs then holding ln σ), reads them again and
/// writes dlogits = σ (g − Σ g σ)/τ, or (g − e^{ln σ} Σ g)/τ.</item>
/// </list>
/// </summary>
public static class Softmax
{
    /// <summary>softmax_forward_rows of kernels/softmax.cu.</summary>
    public static void ForwardRows(ArrayView<float> z, ArrayView<float> output, long rows, long cols, float inverseTemperature, int logarithm)
    {
        var scratchMax = SharedMemory.Allocate<float>(GroupReduce.MaxGroupSize);
        var scratchSum = SharedMemory.Allocate<float>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            float max = float.NegativeInfinity;
            float sum = 0f;
            for (long k = t; k < cols; k += step)
            {
                float v = z[start + k];
                if (v > max)
                {
                    sum = (sum * KernelMath.Exp((max - v) * inverseTemperature)) + 1f;
                    max = v;
                }
                else
                {
                    sum += KernelMath.Exp((v - max) * inverseTemperature);
                }
            }

            scratchMax[t] = max;
            scratchSum[t] = sum;
            Group.Barrier();
            for (int s = step / 2; s > 0; s >>= 1)
            {
                if (t < s)
                {
                    float am = scratchMax[t];
                    float bm = scratchMax[t + s];
                    float m = Math.Max(am, bm);
                    scratchSum[t] = m == float.NegativeInfinity
                        ? 0f
                        : (scratchSum[t] * KernelMath.Exp((am - m) * inverseTemperature)) + (scratchSum[t + s] * KernelMath.Exp((bm - m) * inverseTemperature));
                    scratchMax[t] = m;
                }

                Group.Barrier();
            }

            max = scratchMax[0];
            sum = scratchSum[0];
            Group.Barrier();
            if (logarithm != 0)
            {
                float logSum = KernelMath.Log(sum);
                for (long k = t; k < cols; k += step)
                {
                    // As the CUDA C kernel: z − max overflows to −∞ across ±3e38, where a small 1/τ may bring it back.
                    float difference = z[start + k] - max;
                    output[start + k] = (float.IsFinite(difference) ? difference * inverseTemperature : (float)(((double)z[start + k] - max) * inverseTemperature)) - logSum;
                }
            }
            else
            {
                float inverseSum = 1f / sum;
                for (long k = t; k < cols; k += step)
                {
                    output[start + k] = KernelMath.Exp((z[start + k] - max) * inverseTemperature) * inverseSum;
                }
            }
        }
    }

    /// <summary>softmax_backward_rows of kernels/softmax.cu.</summary>
    public static void BackwardRows(ArrayView<float> probs, ArrayView<float> grad, ArrayView<float> dlogits, long rows, long cols, float inverseTemperature, int logarithm)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;

            // As the CUDA C kernel: the row sum and g − Σ in float64, where they neither cancel nor overflow.
            double partial = 0;
            for (long k = t; k < cols; k += step)
            {
                partial += logarithm != 0 ? grad[start + k] : (double)grad[start + k] * probs[start + k];
            }

            double sum = GroupReduce.Sum(scratch, partial);
            if (logarithm != 0)
            {
                float singleSum = (float)sum;
                for (long k = t; k < cols; k += step)
                {
                    dlogits[start + k] = (grad[start + k] - (KernelMath.Exp(probs[start + k]) * singleSum)) * inverseTemperature;
                }
            }
            else
            {
                for (long k = t; k < cols; k += step)
                {
                    dlogits[start + k] = (float)((grad[start + k] - sum) * probs[start + k] * inverseTemperature);
                }
            }
        }
    }
}
