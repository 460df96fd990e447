namespace GpuSelfLabel.Backends;

internal partial interface IBackendKernels
{
    /// <summary>
    /// Σ of every element of a float32 tensor (typically a vector of per-sample losses), accumulated
    /// in float64 over a block partition fixed by the length alone, partial sums added in block order,
    /// so the result is the same on every run and thread count. Reads the tensor once, writes nothing.
    /// <paramref name="scratch"/> is the caller's float64 workspace of at least
    /// Backend.ScanScratchElements(length) elements: a sum allocates no device memory.
    /// </summary>
    double Sum(Tensor vector, Tensor scratch);
}
