namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// The launch shape and the host half of the GPU backends' <see cref="IBackendKernels.Sum"/>
/// (kernels/reductions.cu): each group writes one float64 partial, the host adds the partials in
/// group order. The shape is a function of the length (and the launch overrides) alone, so the
/// result repeats bit for bit.
/// </summary>
internal static class DeviceSum
{
    /// <summary>Elements each work-item adds before its group's tree, so a group's partial is worth a download.</summary>
    public const int ElementsPerWorkItem = 16;

    /// <summary>Groups for a sum of <paramref name="length"/> elements with groups of <paramref name="groupSize"/>.</summary>
    public static int Groups(long length, int groupSize, long? maxGroups)
    {
        long perGroup = (long)groupSize * ElementsPerWorkItem;
        long wanted = (length + perGroup - 1) / perGroup;
        return (int)Math.Clamp(wanted, 1, Math.Min(maxGroups ?? LaunchShape.ScanGroups, LaunchShape.ScanGroups));
    }

    /// <summary>The partials' sum, in index order.</summary>
    public static double Total(ReadOnlySpan<double> partials)
    {
        double total = 0;
        foreach (var p in partials)
        {
            total += p;
        }

        return total;
    }
}
