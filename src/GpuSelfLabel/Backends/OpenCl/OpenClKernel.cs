using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// One compiled kernel. clSetKernelArg changes state shared by every thread using the cl_kernel, so
/// setting arguments and enqueueing happen under <see cref="Gate"/>.
/// </summary>
internal sealed class OpenClKernel : GpuKernel
{
    // maxGroupSize is CL_KERNEL_WORK_GROUP_SIZE on this device.
    public OpenClKernel(Native.OpenClKernelHandle handle, string file, string name, int maxGroupSize)
        : base(file, name, maxGroupSize)
    {
        Handle = handle;
    }

    public Native.OpenClKernelHandle Handle { get; }

    public Lock Gate { get; } = new();
}
