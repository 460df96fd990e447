namespace GpuSelfLabel.Backends;

/// <summary>
/// A block of memory on one backend's device. It either owns its memory (freed on dispose) or views
/// memory that somebody else owns (a pointer from another framework), which it never frees.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    /// <summary>Creates the buffer's bookkeeping.</summary>
    protected DeviceBuffer(long sizeInBytes, bool ownsMemory)
    {
        SizeInBytes = sizeInBytes;
        OwnsMemory = ownsMemory;
    }

    /// <summary>Size of the block in bytes.</summary>
    public long SizeInBytes { get; }

    /// <summary>False for a view of memory the library does not own.</summary>
    public bool OwnsMemory { get; }

    /// <summary>
    /// The address of the block: a host pointer on the CPU, a device pointer on CUDA, a cl_mem handle
    /// on OpenCL. Only the backend that made the buffer knows how to read it.
    /// </summary>
    public abstract nint Handle { get; }

    /// <summary>
    /// True where <see cref="Handle"/> is an address (host or device pointer), so that two buffers,
    /// such as two views of one foreign block, overlap exactly when their address ranges do; false for
    /// opaque handles (cl_mem), which only say whether two views are of the same object.
    /// </summary>
    internal virtual bool HandleIsAddress => false;

    /// <summary>
    /// The exception for a released block, said as the caller knows it (a tensor) rather than by this
    /// internal type's name.
    /// </summary>
    protected static void ThrowIfReleased(bool released)
    {
        if (released)
        {
            throw new ObjectDisposedException("tensor", "A tensor used here has been disposed: its memory is released.");
        }
    }

    /// <summary>
    /// The allocation this buffer's bytes belong to and where in it they start: itself at 0, except for
    /// a wrapped OpenCL sub-buffer, which names its parent cl_mem and its offset there, so that the
    /// overlap check sees a buffer and a sub-buffer of it as the same memory.
    /// </summary>
    internal virtual (nint Root, long Offset) Origin => (Handle, 0);

    /// <summary>Releases owned memory; views release nothing.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Backend hook for <see cref="Dispose()"/>.</summary>
    protected abstract void Dispose(bool disposing);
}
