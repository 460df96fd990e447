namespace GpuSelfLabel.Backends;

/// <summary>
/// Lays out the parts of a workspace that one public call allocates once (CUB's habit: launchers never
/// allocate): each part starts on a multiple of <see cref="Backend.ScratchAlignment"/> float64 elements
/// (4 KiB, which OpenCL sub-buffers need on every device seen), and <see cref="Elements"/> is the size
/// of the one float64 allocation that holds them all.
/// </summary>
internal sealed class ScratchLayout
{
    /// <summary>Float64 elements taken so far (the last part unpadded).</summary>
    public long Elements { get; private set; }

    /// <summary>Reserves <paramref name="bytes"/> bytes and returns where they start, in bytes.</summary>
    public long Add(long bytes)
    {
        long start = Aligned(Elements);
        Elements = start + ((bytes + sizeof(double) - 1) / sizeof(double));
        return start * sizeof(double);
    }

    /// <summary><paramref name="elements"/> rounded up to a multiple of <see cref="Backend.ScratchAlignment"/>.</summary>
    public static long Aligned(long elements) =>
        (elements + Backend.ScratchAlignment - 1) / Backend.ScratchAlignment * Backend.ScratchAlignment;
}
