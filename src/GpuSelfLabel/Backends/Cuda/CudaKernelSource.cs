namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Where the CUDA backend's kernels come from. Chosen per backend instance
/// (<see cref="CudaBackend.OpenDevice(int, CudaKernelSource)"/>) or for the registry's backend with the
/// environment variable GSL_CUDA_KERNELS=nvrtc|ilgpu.
/// </summary>
public enum CudaKernelSource
{
    /// <summary>The CUDA C files of kernels/, compiled by NVRTC at first use (the default).</summary>
    Nvrtc,

    /// <summary>
    /// The kernels written in C# and compiled to PTX by ILGPU at build time (kernels/ilgpu/, embedded):
    /// softmax, collision and Shannon cross-entropy, every pass of the Sinkhorn family (SeLa and SwAV)
    /// and the EM passes. Every other kernel still comes from NVRTC. Not yet measured on a GPU against NVRTC's.
    /// </summary>
    Ilgpu,
}
