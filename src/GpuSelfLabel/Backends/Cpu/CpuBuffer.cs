using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Host memory for the CPU backend. Owned memory is 64-byte aligned native memory held by a
/// SafeHandle (so a forgotten Dispose still frees it, and never twice); a view holds a foreign
/// pointer and frees nothing.
/// <para>
/// Large buffers start on a 2 MiB boundary and, on Linux, are advised for transparent huge pages:
/// the first touch of a fresh N×K output then costs one fault per 2 MiB instead of one per 4 KiB,
/// which for a 400 MB tensor is about 40 ms instead of several hundred (the kernel zeroes the pages
/// either way). Where the advice is not honoured nothing changes but the alignment.
/// </para>
/// </summary>
internal sealed class CpuBuffer : DeviceBuffer
{
    private readonly NativeMemoryHandle? owned;
    private readonly nint pointer;

    private CpuBuffer(long bytes, NativeMemoryHandle? owned, nint pointer)
        : base(bytes, owned is not null)
    {
        this.owned = owned;
        this.pointer = pointer;
    }

    public override nint Handle
    {
        get
        {
            ThrowIfReleased(owned is { IsClosed: true });
            return pointer;
        }
    }

    internal override bool HandleIsAddress => true;

    public static CpuBuffer Allocate(long bytes)
    {
        var handle = NativeMemoryHandle.Allocate(bytes);
        return new CpuBuffer(bytes, handle, handle.DangerousGetHandle());
    }

    public static CpuBuffer View(nint pointer, long bytes) => new(bytes, null, pointer);

    protected override void Dispose(bool disposing) => owned?.Dispose();

    private sealed class NativeMemoryHandle : SafeHandle
    {
        private NativeMemoryHandle()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        public static unsafe NativeMemoryHandle Allocate(long bytes)
        {
            var result = new NativeMemoryHandle();
            bool huge = bytes >= HugePages.Threshold;
            void* p;
            try
            {
                p = NativeMemory.AlignedAlloc((nuint)bytes, huge ? HugePages.Size : 64);
            }
            catch (OutOfMemoryException)
            {
                throw new GslDeviceException($"cpu: could not allocate {bytes:N0} bytes of host memory");
            }

            result.SetHandle((nint)p);
            HugePages.Advise((nint)p, bytes);

            return result;
        }

        protected override unsafe bool ReleaseHandle()
        {
            NativeMemory.AlignedFree((void*)handle);
            return true;
        }
    }
}
