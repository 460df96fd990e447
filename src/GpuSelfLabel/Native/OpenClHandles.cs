using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// An OpenCL object reference (cl_context, cl_command_queue, cl_program, cl_kernel, cl_mem). OpenCL
/// objects are reference counted and keep what they depend on alive (a cl_mem its context), so each
/// handle only has to drop its own reference, exactly once, even when Dispose is forgotten.
/// </summary>
internal abstract class OpenClHandle : SafeHandle
{
    protected OpenClHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a reference a clCreate* call returned, checking its status.</summary>
    protected static T Adopt<T>(T owner, nint value, int status, string call)
        where T : OpenClHandle
    {
        if (status != OpenCl.Success || value == 0)
        {
            owner.SetHandleAsInvalid();
            throw OpenCl.Failure(status == OpenCl.Success ? -30 : status, call);
        }

        owner.SetHandle(value);
        return owner;
    }
}

internal sealed class OpenClContextHandle : OpenClHandle
{
    public static OpenClContextHandle Adopt(nint value, int status) => Adopt(new OpenClContextHandle(), value, status, "clCreateContext");

    protected override bool ReleaseHandle() => OpenCl.clReleaseContext(handle) == OpenCl.Success;
}

internal sealed class OpenClQueueHandle : OpenClHandle
{
    public static OpenClQueueHandle Adopt(nint value, int status) => Adopt(new OpenClQueueHandle(), value, status, "clCreateCommandQueue");

    protected override bool ReleaseHandle() => OpenCl.clReleaseCommandQueue(handle) == OpenCl.Success;
}

internal sealed class OpenClProgramHandle : OpenClHandle
{
    public static OpenClProgramHandle Adopt(nint value, int status) => Adopt(new OpenClProgramHandle(), value, status, "clCreateProgramWithSource");

    protected override bool ReleaseHandle() => OpenCl.clReleaseProgram(handle) == OpenCl.Success;
}

internal sealed class OpenClKernelHandle : OpenClHandle
{
    public static OpenClKernelHandle Adopt(nint value, int status, string kernelName) =>
        Adopt(new OpenClKernelHandle(), value, status, $"clCreateKernel({kernelName})");

    protected override bool ReleaseHandle() => OpenCl.clReleaseKernel(handle) == OpenCl.Success;
}

internal sealed class OpenClMemHandle : OpenClHandle
{
    public static OpenClMemHandle Adopt(nint value, int status, string call) => Adopt(new OpenClMemHandle(), value, status, call);

    /// <summary>Takes one more reference on a cl_mem somebody else created (a wrapped foreign buffer).</summary>
    public static OpenClMemHandle Retain(nint value)
    {
        OpenCl.Check(OpenCl.clRetainMemObject(value), "clRetainMemObject");
        var result = new OpenClMemHandle();
        result.SetHandle(value);
        return result;
    }

    protected override bool ReleaseHandle() => OpenCl.clReleaseMemObject(handle) == OpenCl.Success;
}
