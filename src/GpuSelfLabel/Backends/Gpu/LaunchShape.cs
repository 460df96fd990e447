namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// Group-size and grid rules shared by the GPU launchers. Kernels size their local arrays with
/// <see cref="MaxLocalSize"/> (passed to both compilers as GSL_MAX_LOCAL_SIZE) and assume a
/// power-of-two group, so every launcher takes its sizes from here.
/// </summary>
internal static class LaunchShape
{
    /// <summary>The largest work-group any kernel is launched with.</summary>
    public const int MaxLocalSize = 256;

    /// <summary>The smallest group for one-group-per-row kernels: one CUDA warp.</summary>
    public const int MinRowLocalSize = 32;

    /// <summary>Grids beyond this many groups loop (grid-stride) instead; CUDA allows 2^31 − 1.</summary>
    public const long MaxGroups = 1L << 22;

    /// <summary>Groups for validation scans: about eight per SM on a large GPU, few enough to download.</summary>
    public const int ScanGroups = 1024;

    /// <summary>
    /// Group size for a kernel that gives each row one group: the smallest power of two that covers
    /// <paramref name="columns"/>, within [<see cref="MinRowLocalSize"/>, <see cref="MaxLocalSize"/>]
    /// and the kernel's own limit on this device. <paramref name="forced"/> (tests) overrides the choice.
    /// </summary>
    public static int RowLocalSize(long columns, int kernelLimit, int? forced = null)
    {
        int limit = FloorPowerOfTwo(Math.Min(MaxLocalSize, kernelLimit));
        if (forced is { } f)
        {
            if (f < 1 || f > limit || (f & (f - 1)) != 0)
            {
                throw new InvalidOperationException($"forced group size {f} is not a power of two in [1, {limit}]");
            }

            return f;
        }

        int size = MinRowLocalSize;
        while (size < columns && size < limit)
        {
            size *= 2;
        }

        return Math.Min(size, limit);
    }

    /// <summary>Groups for one-group-per-row kernels; the kernels loop over rows beyond the grid.</summary>
    public static long RowGroups(long rows, long? maxGroups = null) => Math.Clamp(rows, 1, maxGroups ?? MaxGroups);

    /// <summary>Groups for a validation scan of <paramref name="rows"/> rows.</summary>
    public static int ScanGroupCount(long rows, long? maxGroups = null) => (int)Math.Clamp(rows, 1, Math.Min(maxGroups ?? ScanGroups, ScanGroups));

    /// <summary>
    /// 8-byte elements of a scan scratch over <paramref name="length"/> rows or elements: one per group of
    /// a validation scan (<see cref="ScanGroupCount"/>) or a sum (<see cref="DeviceSum.Groups"/>), and
    /// neither takes more groups than rows or elements, nor more than <see cref="ScanGroups"/>.
    /// </summary>
    public static long ScanScratchElements(long length) => Math.Clamp(length, 1, ScanGroups);

    /// <summary>The largest power of two ≤ <paramref name="value"/> (≥ 1).</summary>
    public static int FloorPowerOfTwo(int value)
    {
        int p = 1;
        while (p * 2 <= value)
        {
            p *= 2;
        }

        return p;
    }
}
