using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>The C library calls the CPU backend makes on Linux (memory advice only).</summary>
internal static partial class Libc
{
    /// <summary>madvise advice: back the range with transparent huge pages where the kernel allows.</summary>
    public const int MadviseHugePage = 14;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int madvise(nint address, nuint length, int advice);
}
