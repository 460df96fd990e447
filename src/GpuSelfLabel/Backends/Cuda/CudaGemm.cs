using GpuSelfLabel.Native;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Row-major float32 products on the CUDA backend's stream with cuBLAS: C (m×n) = A (m×k)·B (k×n). cuBLAS
/// is column-major, where the same memory holds Cᵀ = Bᵀ·Aᵀ, so the call swaps the operands.
/// </summary>
internal sealed class CudaGemm : IDeviceGemm
{
    private readonly CudaBackend backend;
    private nint handle;

    private CudaGemm(CudaBackend backend, nint handle)
    {
        this.backend = backend;
        this.handle = handle;
    }

    /// <summary>A cuBLAS handle for <paramref name="backend"/>, or a device error saying why there is none.</summary>
    public static CudaGemm Open(CudaBackend backend)
    {
        if (!CuBlas.IsAvailable)
        {
            throw new GslDeviceException($"cuBLAS: {CuBlas.Describe}");
        }

        backend.MakeCurrent();
        return new CudaGemm(backend, CuBlas.Create());
    }

    /// <summary>C = A·B for row-major float32 tensors on the CUDA backend (views allowed).</summary>
    public void Multiply(Tensor a, Tensor b, Tensor c)
    {
        int m = checked((int)a.Rows);
        int k = checked((int)a.Columns);
        int n = checked((int)b.Columns);
        backend.MakeCurrent();
        CuBlas.SetStream(handle, backend.Stream);
        CuBlas.Sgemm(handle, n, m, k, 1, Pointer(b), n, Pointer(a), k, 0, Pointer(c), n);
    }

    public void Dispose()
    {
        if (handle != 0)
        {
            backend.MakeCurrent();
            CuBlas.Destroy(handle);
            handle = 0;
        }
    }

    private static nint Pointer(Tensor tensor) => tensor.Buffer.Handle + (nint)tensor.ByteOffset;
}
