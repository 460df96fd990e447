using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>One kernel of a loaded module. CUfunction handles are valid while the module is loaded.</summary>
internal sealed class CudaFunction : GpuKernel
{
    // maxGroupSize is CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK of this function.
    public CudaFunction(nint handle, string file, string name, int maxGroupSize, IReadOnlyList<IlgpuParameter>? ilgpuParameters = null)
        : base(file, name, maxGroupSize)
    {
        Handle = handle;
        IlgpuParameters = ilgpuParameters;
    }

    public nint Handle { get; }

    /// <summary>The parameters of the ILGPU version of this kernel when it came from ILGPU's PTX; null for NVRTC's.</summary>
    public IReadOnlyList<IlgpuParameter>? IlgpuParameters { get; }
}
