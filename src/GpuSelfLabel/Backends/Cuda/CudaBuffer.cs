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
    private readonly nint pointer;

    private CudaBuffer(long bytes, CudaDeviceMemoryHandle? owned, nint pointer)
        : base(bytes, owned is not null)
    {
        this.owned = owned;
        this.pointer = pointer;
    }

    /// <summary>The CUdeviceptr.</summary>
    public override nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(owned is { IsClosed: true }, this);
            return pointer;
        }
    }

    public static CudaBuffer Allocate(CudaPrimaryContextHandle context, long bytes)
    {
        var memory = CudaDeviceMemoryHandle.Allocate(context, bytes);
        return new CudaBuffer(bytes, memory, memory.DangerousGetHandle());
    }

    public static CudaBuffer View(nint devicePointer, long bytes) => new(bytes, null, devicePointer);

    protected override void Dispose(bool disposing) => owned?.Dispose();
}
