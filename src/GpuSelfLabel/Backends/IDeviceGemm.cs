namespace GpuSelfLabel.Backends;

/// <summary>A row-major float32 matrix product C = A·B on a backend's device (cuBLAS on CUDA), on that backend's stream.</summary>
internal interface IDeviceGemm : IDisposable
{
    /// <summary>C (M×N) = A (M×K) · B (K×N), all on the backend that opened this product.</summary>
    void Multiply(Tensor a, Tensor b, Tensor c);
}
