using GpuSelfLabel.Native;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Device memory in the primary context. Owned memory comes from cuMemAlloc and is freed once, even
/// when Dispose is forgotten; a view is a device pointer from somebody else (libtorch, the CUDA
/// runtime) and frees nothing.
/// </summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    private readonly CudaDeviceMemoryHandle? owned;
    private readonly CudaBackend? backend;
    private readonly nint pointer;

    private CudaBuffer(long bytes, CudaDeviceMemoryHandle? owned, CudaBackend? backend, nint pointer)
        : base(bytes, owned is not null)
    {
        this.owned = owned;
        this.backend = backend;
        this.pointer = pointer;
    }

    /// <summary>The CUdeviceptr.</summary>
    public override nint Handle
    {
        get
        {
            ThrowIfReleased(owned is { IsClosed: true });
            return pointer;
        }
    }

    internal override bool HandleIsAddress => true;

    public static CudaBuffer Allocate(CudaBackend backend, CudaPrimaryContextHandle context, long bytes)
    {
        var memory = CudaDeviceMemoryHandle.Allocate(context, bytes);
        return new CudaBuffer(bytes, memory, backend, memory.DangerousGetHandle());
    }

    public static CudaBuffer View(nint devicePointer, long bytes) => new(bytes, null, null, devicePointer);

    /// <summary>
    /// Launchers free their scratch right after enqueueing the kernels that use it, and cuMemFree is
    /// only documented to *may* synchronise; so the stream is drained first. A device already in an
    /// error state still gets its memory back.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (owned is null || owned.IsClosed)
        {
            return;
        }

        try
        {
            backend?.Synchronize();
        }
        catch (GslDeviceException)
        {
            // The failure belongs to the launch that caused it and is reported by the next checked call.
        }

        owned.Dispose();
    }
}
