using System.Numerics.Tensors;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// Scores recomputed per chunk, z = x·W_h + b_h, with <see cref="Gemm"/> on the host (OpenBLAS where
/// installed) into a float32 chunk; a GPU backend then receives the chunk by copy. Every pass over the
/// matrix recomputes it: N·D·K multiply-adds instead of N·K stored values.
/// </summary>
internal sealed class FeatureRowSource : ISinkhornRowSource
{
    private readonly Tensor features;
    private readonly Tensor weights;
    private readonly Tensor? bias;
    private readonly Tensor host;
    private readonly Tensor? device;

    public FeatureRowSource(Tensor features, Tensor weights, Tensor? bias, Backend backend, long chunkRows)
    {
        this.features = features;
        this.weights = weights;
        this.bias = bias;
        long k = weights.Columns;
        host = CpuBackend.Instance.Allocate(DType.Float32, chunkRows, k);
        try
        {
            device = backend is CpuBackend ? null : backend.Allocate(DType.Float32, chunkRows, k);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public unsafe Tensor Rows(int head, long firstRow, long count)
    {
        int d = checked((int)features.Columns);
        int k = checked((int)weights.Columns);
        int m = checked((int)count);
        var x = new ReadOnlySpan<float>((float*)(features.Buffer.Handle + (nint)features.ByteOffset) + (firstRow * d), checked(m * d));
        var w = CpuRows.All(weights.Rank == 3 ? TensorViews.Slice(weights, head) : weights);
        var z = CpuRows.All(host)[..checked(m * k)];
        Gemm.Multiply(false, false, m, k, d, 1, x, w, 0, z);
        if (bias is not null)
        {
            var headBias = bias.Rank == 2 ? TensorViews.Slice(bias, head) : bias;
            var chunk = TensorViews.Rows(host, 0, count);
            CpuRows.ForBlocks(count, k, (start, end) =>
            {
                var b = CpuRows.All(headBias);
                for (long i = start; i < end; i++)
                {
                    var row = CpuRows.Row(chunk, i);
                    TensorPrimitives.Add(row, b, row);
                }
            });
        }

        if (device is null)
        {
            return TensorViews.Rows(host, 0, count);
        }

        device.Backend.CopyFromHost(z, device);
        return TensorViews.Rows(device, 0, count);
    }

    public void Dispose()
    {
        host.Dispose();
        device?.Dispose();
    }
}
