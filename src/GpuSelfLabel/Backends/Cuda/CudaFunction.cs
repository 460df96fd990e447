namespace GpuSelfLabel.Backends.Cuda;

/// <summary>One kernel of a loaded module. CUfunction handles are valid while the module is loaded.</summary>
internal sealed class CudaFunction
{
    public CudaFunction(nint handle, string file, string name, int maxGroupSize)
    {
        Handle = handle;
        File = file;
        Name = name;
        MaxGroupSize = maxGroupSize;
    }

    public nint Handle { get; }

    public string File { get; }

    public string Name { get; }

    /// <summary>CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: the launcher never exceeds it.</summary>
    public int MaxGroupSize { get; }
}
