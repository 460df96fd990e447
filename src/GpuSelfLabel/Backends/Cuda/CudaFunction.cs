using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>One kernel of a loaded module. CUfunction handles are valid while the module is loaded.</summary>
internal sealed class CudaFunction : GpuKernel
{
    // maxGroupSize is CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK of this function.
    public CudaFunction(nint handle, string file, string name, int maxGroupSize)
        : base(file, name, maxGroupSize)
    {
        Handle = handle;
    }

    public nint Handle { get; }
}
