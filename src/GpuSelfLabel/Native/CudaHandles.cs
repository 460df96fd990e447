using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// One retain of a device's primary context: the context libtorch and the CUDA runtime use, so
/// device pointers they hand over are valid in our kernels. Released with
/// cuDevicePrimaryCtxRelease; the driver destroys the context when the last retain goes.
/// </summary>
internal sealed class CudaPrimaryContextHandle : SafeHandle
{
    private CudaPrimaryContextHandle(int device)
        : base(0, ownsHandle: true)
    {
        Device = device;
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    public static unsafe CudaPrimaryContextHandle Retain(int device)
    {
        var result = new CudaPrimaryContextHandle(device);
        nint context;
        int status = Cuda.cuDevicePrimaryCtxRetain(&context, device);
        if (status != Cuda.Success)
        {
            result.SetHandleAsInvalid();
            throw Cuda.Failure(status, "cuDevicePrimaryCtxRetain");
        }

        result.SetHandle(context);
        return result;
    }

    /// <summary>Makes the context current on the calling thread (cheap; every entry point calls it).</summary>
    public void MakeCurrent() => Cuda.Check(Cuda.cuCtxSetCurrent(handle), "cuCtxSetCurrent");

    protected override bool ReleaseHandle() => Cuda.cuDevicePrimaryCtxRelease_v2(Device) == Cuda.Success;
}

/// <summary>
/// Something that lives in a CUDA context (device memory, a module). It holds a reference on the
/// context handle so the context outlives it, and makes the context current before releasing,
/// because the finalizer thread has no current context.
/// </summary>
internal abstract class CudaContextBoundHandle : SafeHandle
{
    private readonly CudaPrimaryContextHandle context;
    private bool contextReferenced;

    protected CudaContextBoundHandle(CudaPrimaryContextHandle context)
        : base(0, ownsHandle: true)
    {
        this.context = context;
        context.DangerousAddRef(ref contextReferenced);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        bool released = Cuda.cuCtxSetCurrent(context.DangerousGetHandle()) == Cuda.Success && Release(handle);
        if (contextReferenced)
        {
            context.DangerousRelease();
        }

        return released;
    }

    protected void Adopt(nint value) => SetHandle(value);

    /// <summary>For a failed create: drops the context reference and marks the handle invalid.</summary>
    protected void Abandon()
    {
        if (contextReferenced)
        {
            contextReferenced = false;
            context.DangerousRelease();
        }

        SetHandleAsInvalid();
    }

    protected abstract bool Release(nint value);
}

/// <summary>Device memory from cuMemAlloc, freed with cuMemFree.</summary>
internal sealed class CudaDeviceMemoryHandle : CudaContextBoundHandle
{
    private CudaDeviceMemoryHandle(CudaPrimaryContextHandle context)
        : base(context)
    {
    }

    public static unsafe CudaDeviceMemoryHandle Allocate(CudaPrimaryContextHandle context, long bytes)
    {
        var result = new CudaDeviceMemoryHandle(context);
        ulong pointer;
        int status = Cuda.cuMemAlloc_v2(&pointer, (nuint)bytes);
        if (status != Cuda.Success)
        {
            result.Abandon();
            throw Cuda.Failure(status, "cuMemAlloc", $"allocating {bytes:N0} bytes");
        }

        result.Adopt((nint)pointer);
        return result;
    }

    protected override bool Release(nint value) => Cuda.cuMemFree_v2((ulong)value) == Cuda.Success;
}

/// <summary>A loaded module (compiled kernels of one kernel file), unloaded with cuModuleUnload.</summary>
internal sealed class CudaModuleHandle : CudaContextBoundHandle
{
    private CudaModuleHandle(CudaPrimaryContextHandle context)
        : base(context)
    {
    }

    /// <summary>Loads PTX (JIT-compiled by the driver for the current device), with the JIT's log on failure.</summary>
    public static unsafe CudaModuleHandle Load(CudaPrimaryContextHandle context, byte[] ptx, string name)
    {
        var result = new CudaModuleHandle(context);
        const int LogSize = 16 * 1024;
        var errorLog = new byte[LogSize];
        int* options = stackalloc int[2] { Cuda.JitErrorLogBuffer, Cuda.JitErrorLogBufferSizeBytes };
        nint module;
        int status;
        fixed (byte* image = ptx)
        fixed (byte* log = errorLog)
        {
            void** values = stackalloc void*[2] { log, (void*)LogSize };
            status = Cuda.cuModuleLoadDataEx(&module, image, 2, options, values);
        }

        if (status != Cuda.Success)
        {
            result.Abandon();
            string text = System.Text.Encoding.UTF8.GetString(errorLog).TrimEnd('\0');
            throw Cuda.Failure(status, "cuModuleLoadDataEx", $"loading the PTX of {name}", text);
        }

        result.Adopt(module);
        return result;
    }

    protected override bool Release(nint value) => Cuda.cuModuleUnload(value) == Cuda.Success;
}
