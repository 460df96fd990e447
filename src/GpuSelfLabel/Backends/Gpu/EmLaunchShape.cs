namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// How the GPU backends lay out the EM passes of kernels/em.cu (ops.md §4), shared so that the
/// OpenCL and CUDA launchers cut the rows the same way and reduce the per-group scalars the same way.
/// </summary>
/// <param name="GroupSize">Work-items per group (a power of two).</param>
/// <param name="Segment">Work-items per row: min(group size, the next power of two ≥ K).</param>
/// <param name="Groups">Groups, each with its own K-vector of column partials.</param>
/// <param name="RowsPerGroup">Contiguous rows per group (the last group may have fewer).</param>
internal readonly record struct EmLaunchShape(int GroupSize, int Segment, long Groups, long RowsPerGroup)
{
    /// <summary>Most groups of a row pass: enough to fill a large GPU, few enough to reduce cheaply.</summary>
    public const long MaxRowGroups = 1024;

    /// <summary>Bound on the groups × K doubles of column partials (16 MiB).</summary>
    public const long MaxPartialDoubles = 1L << 21;

    /// <summary>
    /// Float64 elements of the scratch every row pass over K columns fits in: the groups' K-vectors of
    /// column partials, then (from a 4 KiB boundary, for OpenCL sub-buffers) two scalars per group. The
    /// most groups <see cref="Rows"/> chooses for K bounds both, whatever the kernel's group size.
    /// </summary>
    public static long ScratchElements(long columns)
    {
        long groups = Math.Max(1, Math.Min(MaxRowGroups, MaxPartialDoubles / Math.Max(1, columns)));
        return ScalarsOffset(groups, columns) + (2 * groups);
    }

    /// <summary>Where the per-group scalars start in the scratch: after the partials, 4 KiB-aligned.</summary>
    public static long ScalarsOffset(long groups, long columns) =>
        ((groups * columns) + Backend.ScratchAlignment - 1) / Backend.ScratchAlignment * Backend.ScratchAlignment;

    /// <summary>The layout of a row pass over <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static EmLaunchShape Rows(long rows, long columns, int kernelLimit, LaunchOverrides overrides)
    {
        int groupSize = LaunchShape.RowLocalSize(LaunchShape.MaxLocalSize, kernelLimit, overrides.GroupSize);
        int segment = 1;
        while (segment < columns && segment < groupSize)
        {
            segment *= 2;
        }

        long rowsAtOnce = groupSize / segment;
        long cap = Math.Min(overrides.MaxGroups ?? MaxRowGroups, MaxRowGroups);
        cap = Math.Max(1, Math.Min(cap, MaxPartialDoubles / columns));
        long groups = Math.Clamp((rows + rowsAtOnce - 1) / rowsAtOnce, 1, cap);
        long rowsPerGroup = (rows + groups - 1) / groups;
        groups = Math.Max(1, (rows + rowsPerGroup - 1) / rowsPerGroup);
        return new EmLaunchShape(groupSize, segment, groups, rowsPerGroup);
    }

    /// <summary>Group size and groups of an elementwise or per-column pass over <paramref name="count"/> items.</summary>
    public static (int GroupSize, long Groups) Elements(long count, int kernelLimit, LaunchOverrides overrides)
    {
        int groupSize = LaunchShape.RowLocalSize(LaunchShape.MaxLocalSize, kernelLimit, overrides.GroupSize);
        long groups = Math.Clamp((count + groupSize - 1) / groupSize, 1, overrides.MaxGroups ?? LaunchShape.MaxGroups);
        return (groupSize, groups);
    }

    /// <summary>
    /// Adds the (Σ −ln, max change) pairs the groups wrote, in group order, so the result depends
    /// only on the launch shape.
    /// </summary>
    public static EmStepReport Reduce(ReadOnlySpan<double> groupScalars)
    {
        double negativeLog = 0;
        double maxChange = 0;
        for (int g = 0; g < groupScalars.Length; g += 2)
        {
            negativeLog += groupScalars[g];
            maxChange = Math.Max(maxChange, groupScalars[g + 1]);
        }

        return new EmStepReport(maxChange, negativeLog);
    }
}
