namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// What the OpenCL and CUDA launchers of kernels/self_classifier.cu share: the argument prefix of the
/// per-sample kernels (SC_CONTEXT_PARAMS), the row blocks of the column reductions and the host
/// reduction of the loss partials. Every choice here depends on the shape only, so a backend's sums
/// are reproducible from run to run.
/// </summary>
internal static class SelfClassifierLaunch
{
    /// <summary>The kernel file.</summary>
    public const string File = "self_classifier.cu";

    /// <summary>Fewest rows a column block sums before more blocks are worth their partials.</summary>
    private const long MinBlockRows = 16;

    /// <summary>Most row blocks of a column reduction: enough work-items for a large GPU at moderate C.</summary>
    private const long MaxBlocks = 256;

    /// <summary>Bound on V·blocks·C, the length of each partial array (float64), about 16 MiB.</summary>
    private const long MaxPartials = 1L << 21;

    /// <summary>Most groups of the per-sample loss kernel: each leaves one float64 partial to download.</summary>
    private const long MaxLossGroups = 4096;

    /// <summary>Rows per block of the column reductions over n (passes 2 and 3).</summary>
    public static long BlockRows(SelfClassifierWorkspace workspace) => BlockRows(workspace.Views, workspace.Samples, workspace.Classes);

    /// <summary>Number of row blocks for <paramref name="blockRows"/> rows per block.</summary>
    public static long Blocks(SelfClassifierWorkspace workspace, long blockRows) =>
        (workspace.Samples + blockRows - 1) / blockRows;

    /// <summary>Groups of the per-sample loss kernel (grid-stride over samples beyond).</summary>
    public static long LossGroups(long rowGroups) => Math.Min(rowGroups, MaxLossGroups);

    /// <summary>
    /// Float64 elements of <see cref="SelfClassifierWorkspace.Partials"/> for V×N×C logits: the column
    /// partials of pass 2 (three per view, block and class; pass 3 needs two) and, from a 4 KiB boundary
    /// (<see cref="LossPartialsOffset"/>), one loss partial per group of pass 3.
    /// </summary>
    public static long ScratchElements(long views, long samples, long classes) =>
        LossPartialsOffset(views, samples, classes) + LossGroups(Math.Max(1, samples));

    /// <summary>Where the loss partials start in <see cref="SelfClassifierWorkspace.Partials"/>: after the largest column partials.</summary>
    public static long LossPartialsOffset(long views, long samples, long classes)
    {
        long blockRows = BlockRows(views, samples, classes);
        long blocks = (samples + blockRows - 1) / blockRows;
        return ScratchLayout.Aligned(3 * views * blocks * classes);
    }

    private static long BlockRows(long views, long samples, long classes)
    {
        long byMemory = Math.Max(1, MaxPartials / Math.Max(1, views * classes));
        long blocks = Math.Min(MaxBlocks, byMemory);
        long rows = Math.Max(MinBlockRows, (samples + blocks - 1) / blocks);
        return Math.Clamp(rows, 1, Math.Max(1, samples));
    }

    /// <summary>The arguments of SC_CONTEXT_PARAMS, to which a kernel's own arguments are appended.</summary>
    public static KernelArguments Context(Tensor logits, SelfClassifierWorkspace workspace) =>
        new KernelArguments()
            .Buffer(logits).Buffer(workspace.RowMax).Buffer(workspace.RowLogSum).Buffer(workspace.ColumnMax)
            .Buffer(workspace.ColumnLogSum).Buffer(workspace.ColumnSumR)
            .Index(workspace.Views).Index(workspace.Samples).Index(workspace.Classes).Index(workspace.GlobalViews)
            .Double(1.0 / workspace.TauRow).Double(1.0 / workspace.TauCol)
            .Double((double)workspace.Samples / workspace.Classes).Double(Weight(workspace)).Double(workspace.Epsilon);

    /// <summary>The loss from the per-group partials of self_classifier_sample_rows, summed in group order.</summary>
    public static double Loss(ReadOnlySpan<double> partials, SelfClassifierWorkspace workspace)
    {
        double total = 0;
        foreach (var p in partials)
        {
            total += p;
        }

        return -Weight(workspace) * total;
    }

    /// <summary>w = 1/(N·Pairs), as the CPU backend forms it.</summary>
    private static double Weight(SelfClassifierWorkspace workspace) => 1.0 / (workspace.Samples * (double)workspace.Pairs);
}
