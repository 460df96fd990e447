namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// One compiled kernel. clSetKernelArg changes state shared by every thread using the cl_kernel, so
/// setting arguments and enqueueing happen under <see cref="Gate"/>.
/// </summary>
internal sealed class OpenClKernel
{
    public OpenClKernel(Native.OpenClKernelHandle handle, string file, string name, int maxGroupSize)
    {
        Handle = handle;
        File = file;
        Name = name;
        MaxGroupSize = maxGroupSize;
    }

    public Native.OpenClKernelHandle Handle { get; }

    public string File { get; }

    public string Name { get; }

    /// <summary>CL_KERNEL_WORK_GROUP_SIZE on this device: the launcher never exceeds it.</summary>
    public int MaxGroupSize { get; }

    public Lock Gate { get; } = new();
}
