using GpuSelfLabel.Native;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Transparent huge pages for large host buffers. A fresh N×K output costs a page fault per page on
/// its first touch; on these machines a 4 KiB fault is expensive enough that writing a fresh 400 MB
/// tensor costs several hundred milliseconds, against about 40 with 2 MiB pages. Advice given before
/// the first touch is honoured where the kernel's THP mode is "madvise" or "always".
/// </summary>
internal static class HugePages
{
    /// <summary>Buffers from this size on are advised (smaller ones would waste most of a huge page).</summary>
    public const long Threshold = 8L << 20;

    /// <summary>The huge page size on x86-64 and arm64 Linux.</summary>
    public const nuint Size = 2 << 20;

    private const long PageSize = 4096;

    private static bool adviceUnavailable;

    /// <summary>
    /// Advises the whole pages inside [address, address + bytes) for huge pages, if the range is at
    /// least <see cref="Threshold"/> long. Advice only: any failure (no such call, a kernel without THP)
    /// leaves ordinary pages. Memory another allocator owns may be advised too; the advice only changes
    /// how its pages are backed.
    /// </summary>
    public static void Advise(nint address, long bytes)
    {
        if (bytes < Threshold || !OperatingSystem.IsLinux() || Volatile.Read(ref adviceUnavailable))
        {
            return;
        }

        long start = (address + PageSize - 1) & ~(PageSize - 1);
        long length = (address + bytes - start) & ~(PageSize - 1);
        try
        {
            _ = Libc.madvise((nint)start, (nuint)length, Libc.MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref adviceUnavailable, true);
        }
    }
}
