using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// Scores recomputed per chunk, z = x·W_h + b_h, so the N×K matrix is never stored; every pass over the
/// matrix recomputes it (N·D·K multiply-adds instead of N·K stored values). Where the product runs:
/// <list type="bullet">
/// <item>CPU backend: <see cref="Gemm"/> (OpenBLAS where installed) straight into the chunk;</item>
/// <item>CUDA backend with libcublas: the features chunk is copied to the device and cuBLAS multiplies
/// it by W_h, which stays on the device;</item>
/// <item>other GPU backends (OpenCL, or CUDA without cuBLAS): <see cref="Gemm"/> on the host, then the
/// chunk is copied to the device.</item>
/// </list>
/// The bias is added on the solving backend (SinkhornAddBias).
/// </summary>
internal sealed class FeatureRowSource : ISinkhornRowSource
{
    private readonly Tensor features;
    private readonly Tensor weights;
    private readonly IBackendKernels kernels;
    private readonly List<Tensor> owned = [];
    private readonly Tensor? host;
    private readonly Tensor? scores;
    private readonly Tensor? bias;
    private readonly Tensor? deviceFeatures;
    private readonly Tensor? deviceWeights;
    private readonly IDeviceGemm? gemm;

    public FeatureRowSource(Tensor features, Tensor weights, Tensor? bias, Backend backend, long chunkRows)
    {
        this.features = features;
        this.weights = weights;
        kernels = backend.Kernels;
        long k = weights.Columns;
        try
        {
            if (backend.HostAddressable)
            {
                host = Own(backend.Allocate(DType.Float32, chunkRows, k));
                this.bias = bias;
                return;
            }

            scores = Own(backend.Allocate(DType.Float32, chunkRows, k));
            this.bias = bias is null ? null : Own(backend.Allocate(DType.Float32, [.. bias.Shape]));
            if (this.bias is not null)
            {
                backend.CopyFromHost(CpuRows.All(bias!), this.bias);
            }

            if (UsesDeviceProduct(backend))
            {
                deviceFeatures = Own(backend.Allocate(DType.Float32, chunkRows, features.Columns));
                deviceWeights = Own(backend.Allocate(DType.Float32, [.. weights.Shape]));
                backend.CopyFromHost(CpuRows.All(weights), deviceWeights);
                gemm = backend.OpenDeviceGemm();
            }
            else
            {
                host = Own(Backend.Cpu.Allocate(DType.Float32, chunkRows, k));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Whether the product runs on <paramref name="backend"/> itself (a device GEMM: CUDA with cuBLAS).</summary>
    public static bool UsesDeviceProduct(Backend backend) => backend.HasDeviceGemm;

    public unsafe Tensor Rows(int head, long firstRow, long count)
    {
        int d = checked((int)features.Columns);
        int k = checked((int)weights.Columns);
        int m = checked((int)count);
        var x = new ReadOnlySpan<float>((float*)(features.Buffer.Handle + (nint)features.ByteOffset) + (firstRow * d), checked(m * d));
        Tensor chunk;
        if (gemm is not null)
        {
            var xDevice = TensorViews.Rows(deviceFeatures!, 0, count);
            xDevice.Backend.CopyFromHost(x, xDevice);
            chunk = TensorViews.Rows(scores!, 0, count);
            gemm.Multiply(xDevice, Head(deviceWeights!, 3), chunk);
        }
        else
        {
            var w = CpuRows.All(Head(weights, 3));
            var z = CpuRows.All(host!)[..checked(m * k)];
            Gemm.Multiply(false, false, m, k, d, 1, x, w, 0, z);
            chunk = TensorViews.Rows(host!, 0, count);
            if (scores is not null)
            {
                scores.Backend.CopyFromHost(z, scores);
                chunk = TensorViews.Rows(scores, 0, count);
            }
        }

        if (bias is not null)
        {
            kernels.SinkhornAddBias(chunk, Head(bias, 2));
        }

        return chunk;

        Tensor Head(Tensor tensor, int batchedRank) => tensor.Rank == batchedRank ? TensorViews.Slice(tensor, head) : tensor;
    }

    public void Dispose()
    {
        gemm?.Dispose();
        foreach (var tensor in owned)
        {
            tensor.Dispose();
        }

        owned.Clear();
    }

    private Tensor Own(Tensor tensor)
    {
        owned.Add(tensor);
        return tensor;
    }
}
