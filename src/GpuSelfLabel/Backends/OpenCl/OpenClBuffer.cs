using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// A cl_mem. Owned buffers are created by the backend; a view holds one extra reference on a cl_mem
/// the caller created in this backend's context, so the caller's memory stays valid while the view
/// lives and is never freed by us (dropping our reference frees nothing the caller still holds).
/// </summary>
internal sealed class OpenClBuffer : DeviceBuffer
{
    private readonly OpenClMemHandle memory;
    private readonly nint root;
    private readonly long rootOffset;

    private OpenClBuffer(OpenClMemHandle memory, long bytes, bool owns, nint root = 0, long rootOffset = 0)
        : base(bytes, owns)
    {
        this.memory = memory;
        this.root = root;
        this.rootOffset = rootOffset;
    }

    /// <inheritdoc/>
    internal override (nint Root, long Offset) Origin => root == 0 ? (Handle, 0) : (root, rootOffset);

    /// <summary>Keeps the cl_mem from being released until <see cref="Release"/>; throws ObjectDisposedException for a disposed tensor.</summary>
    internal void Hold()
    {
        bool added = false;
        try
        {
            memory.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException e)
        {
            throw new ObjectDisposedException("a tensor passed to this operation was disposed before or while it ran", e);
        }
    }

    /// <summary>Ends a <see cref="Hold"/>.</summary>
    internal void Release() => memory.DangerousRelease();

    /// <summary>The cl_mem handle.</summary>
    public override nint Handle
    {
        get
        {
            ThrowIfReleased(memory.IsClosed);
            return memory.DangerousGetHandle();
        }
    }

    public static unsafe OpenClBuffer Allocate(OpenClContextHandle context, long bytes)
    {
        int status;
        nint mem = OpenClApi.clCreateBuffer(context.DangerousGetHandle(), OpenClApi.MemReadWrite, (nuint)bytes, null, &status);
        if (status != OpenClApi.Success)
        {
            throw OpenClApi.Failure(status, "clCreateBuffer", $"allocating {bytes:N0} bytes");
        }

        return new OpenClBuffer(OpenClMemHandle.Adopt(mem, status, "clCreateBuffer"), bytes, owns: true);
    }

    /// <summary>A caller's cl_mem, not owned; a sub-buffer remembers its parent and offset (<see cref="Origin"/>).</summary>
    public static unsafe OpenClBuffer View(nint mem, long bytes)
    {
        nint parent = 0;
        nuint offset = 0;
        OpenClApi.Check(OpenClApi.clGetMemObjectInfo(mem, OpenClApi.MemAssociatedMemObject, (nuint)sizeof(nint), &parent, null), "clGetMemObjectInfo(CL_MEM_ASSOCIATED_MEMOBJECT)");
        if (parent != 0)
        {
            OpenClApi.Check(OpenClApi.clGetMemObjectInfo(mem, OpenClApi.MemOffset, (nuint)sizeof(nuint), &offset, null), "clGetMemObjectInfo(CL_MEM_OFFSET)");
        }

        return new(OpenClMemHandle.Retain(mem), bytes, owns: false, parent, (long)offset);
    }

    /// <summary>
    /// A sub-buffer starting <paramref name="byteOffset"/> into this one, for a kernel argument that
    /// does not start at the buffer's beginning (OpenCL has no pointer arithmetic on the host).
    /// The offset must be a multiple of the device's base address alignment.
    /// </summary>
    public unsafe OpenClMemHandle SubBuffer(long byteOffset)
    {
        var region = stackalloc nuint[2] { (nuint)byteOffset, (nuint)(SizeInBytes - byteOffset) };
        int status;
        // Flags 0: the sub-buffer inherits the parent's access (a wrapped read-only cl_mem stays read-only).
        nint sub = OpenClApi.clCreateSubBuffer(Handle, 0, OpenClApi.BufferCreateTypeRegion, region, &status);
        return OpenClMemHandle.Adopt(sub, status, $"clCreateSubBuffer(offset {byteOffset})");
    }

    protected override void Dispose(bool disposing) => memory.Dispose();
}
