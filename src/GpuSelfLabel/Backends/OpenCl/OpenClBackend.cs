using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// Runs the kernels of kernels/ as OpenCL C on one OpenCL device (chosen as
/// GSL_OPENCL_DEVICE="platform:device" says, else the first GPU, else the first device: PoCL's CPU
/// device where there is no GPU). One context, one in-order command queue, so commands run in the
/// order they were issued, as they would on a CUDA stream; host copies are blocking.
/// </summary>
public sealed class OpenClBackend : Backend
{
    private readonly OpenClContextHandle context;
    private readonly OpenClQueueHandle queue;
    private readonly OpenClKernels kernels;
    private readonly string deviceName;

    private unsafe OpenClBackend(nint platform, nint device, LaunchOverrides overrides)
    {
        Device = device;
        int status;
        nint dev = device;
        context = OpenClContextHandle.Adopt(OpenClApi.clCreateContext(null, 1, &dev, 0, 0, &status), status);

        // Properties 0: in-order execution, no profiling.
        queue = OpenClQueueHandle.Adopt(OpenClApi.clCreateCommandQueue(context.DangerousGetHandle(), device, 0, &status), status);
        Programs = new OpenClPrograms(context, device);
        BaseAddressAlignment = (long)OpenClApi.DeviceNumber(device, OpenClApi.DeviceMemBaseAddrAlign) / 8;
        GlobalMemoryBytes = (long)OpenClApi.DeviceNumber(device, OpenClApi.DeviceGlobalMemSize);
        ulong type = OpenClApi.DeviceNumber(device, OpenClApi.DeviceType);
        string kind = (type & OpenClApi.DeviceTypeGpu) != 0 ? "GPU" : (type & OpenClApi.DeviceTypeCpu) != 0 ? "CPU" : "accelerator";
        deviceName = $"{OpenClApi.DeviceString(device, OpenClApi.DeviceName)} ({kind}, " +
            $"{OpenClApi.PlatformString(platform, OpenClApi.PlatformName)}, {OpenClApi.DeviceString(device, OpenClApi.DeviceVersion)}, " +
            $"{GlobalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB global memory)";
        kernels = new OpenClKernels(this, overrides);
    }

    /// <inheritdoc/>
    public override string Name => "opencl";

    /// <summary>Device name, kind, platform, OpenCL version and global memory.</summary>
    public override string DeviceName => deviceName;

    /// <summary>The cl_context handle: create buffers in it to hand them to <see cref="Backend.Wrap"/>.</summary>
    public nint Context => context.DangerousGetHandle();

    /// <summary>The cl_command_queue every operation of this backend is enqueued on, in order.</summary>
    public nint Queue => queue.DangerousGetHandle();

    /// <summary>The cl_device_id.</summary>
    public nint Device { get; }

    /// <summary>CL_DEVICE_GLOBAL_MEM_SIZE.</summary>
    public long GlobalMemoryBytes { get; }

    internal override IBackendKernels Kernels => kernels;

    internal override bool HostAddressable => false;

    internal override long AvailableMemoryBytes => (long)(GlobalMemoryBytes * DeviceMemoryShare);

    internal override long MaxBufferBytes => (long)OpenClApi.DeviceNumber(Device, OpenClApi.DeviceMaxMemAllocSize);

    internal override int MaxReductionBlocks => Gpu.SinkhornLaunches.MaxReductionGroups;

    internal OpenClPrograms Programs { get; }

    /// <summary>Sub-buffer origins must be multiples of this (CL_DEVICE_MEM_BASE_ADDR_ALIGN, in bytes).</summary>
    internal long BaseAddressAlignment { get; }

    /// <summary>
    /// Opens the device GSL_OPENCL_DEVICE names, or the default one. <paramref name="overrides"/>
    /// force launch shapes (tests sweep them); null lets the launchers choose.
    /// Throws <see cref="BackendUnavailableException"/> with the reason when OpenCL cannot run here.
    /// </summary>
    internal static OpenClBackend Open(LaunchOverrides? overrides = null)
    {
        try
        {
            var (platform, device) = OpenClDevices.Choose();
            return new OpenClBackend(platform, device, overrides ?? LaunchOverrides.None);
        }
        catch (GslDeviceException e)
        {
            throw new BackendUnavailableException($"no device: opening the OpenCL device failed: {e.Message}", e);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new BackendUnavailableException($"no library: the OpenCL library is unusable: {e.Message}", e);
        }
    }

    /// <summary>Waits until every enqueued command has finished (clFinish), surfacing a failure.</summary>
    public void Synchronize() => OpenClApi.Check(OpenClApi.clFinish(Queue), "clFinish");

    /// <inheritdoc/>
    protected internal override DeviceBuffer AllocateBuffer(long bytes)
    {
        CountAllocation();
        return OpenClBuffer.Allocate(context, bytes);
    }

    /// <summary>
    /// Wraps a cl_mem the caller created in <see cref="Context"/>. OpenCL cannot tell a garbage handle
    /// from a real one without crashing, so only the context and the size are checked.
    /// </summary>
    protected internal override unsafe DeviceBuffer WrapBuffer(nint pointer, long bytes)
    {
        nint owner = 0;
        nuint size = 0;
        int status = OpenClApi.clGetMemObjectInfo(pointer, OpenClApi.MemContext, (nuint)sizeof(nint), &owner, null);
        if (status != OpenClApi.Success)
        {
            throw new GslArgumentException("pointer", $"is not a cl_mem handle ({OpenClApi.ErrorName(status)})");
        }

        if (owner != Context)
        {
            throw new GslArgumentException("pointer", "is a cl_mem of another OpenCL context; create it in OpenClBackend.Context");
        }

        OpenClApi.Check(OpenClApi.clGetMemObjectInfo(pointer, OpenClApi.MemSize, (nuint)sizeof(nuint), &size, null), "clGetMemObjectInfo");
        if ((long)size < bytes)
        {
            throw new GslArgumentException("pointer", $"the cl_mem holds {size} bytes but the tensor needs {bytes}");
        }

        return OpenClBuffer.View(pointer, bytes);
    }

    /// <inheritdoc/>
    protected internal override unsafe void Upload(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        fixed (byte* p = source)
        {
            OpenClApi.Check(OpenClApi.clEnqueueWriteBuffer(Queue, destination.Handle, 1, (nuint)byteOffset, (nuint)source.Length, p, 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    /// <inheritdoc/>
    protected internal override unsafe void Download(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return;
        }

        CountHostRead();

        fixed (byte* p = destination)
        {
            OpenClApi.Check(OpenClApi.clEnqueueReadBuffer(Queue, source.Handle, 1, (nuint)byteOffset, (nuint)destination.Length, p, 0, null, null), "clEnqueueReadBuffer");
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Programs.Dispose();
            queue.Dispose();
            context.Dispose();
        }

        base.Dispose(disposing);
    }
}
