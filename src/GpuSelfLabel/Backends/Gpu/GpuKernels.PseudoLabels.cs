using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    DType IBackendKernels.PseudoLabelIterateType => DType.Float64;

    void IBackendKernels.PseudoLabelConvert(Tensor source, Tensor destination) =>
        LaunchPseudoLabelConvert(source, destination);

    double IBackendKernels.PseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums, Tensor scratch) =>
        LaunchPseudoLabelMoments(probs, labels, columnSums, scratch);

    EmStepReport IBackendKernels.EmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch)
    {
        var (groups, scalars) = LaunchEmStep(probs, current, weights, next, nextColumnSums, scratch, status: null);
        return DownloadEmScalars(scalars, groups);
    }

    void IBackendKernels.EmTrackedStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch, EmTracking tracking)
    {
        var (groups, scalars) = LaunchEmStep(probs, current, weights, next, nextColumnSums, scratch, tracking.Track);
        var kernel = Kernel("em.cu", "em_track");
        int groupSize = LaunchShape.RowLocalSize(probs.Columns, kernel.MaxGroupSize, overrides.GroupSize);
        Launch(kernel, 1, groupSize, new KernelArguments()
            .Buffer(scalars).Index(groups).Buffer(nextColumnSums).Buffer(tracking.Prior)
            .Index(probs.Rows).Index(probs.Columns).Double(tracking.Lambda).Double(tracking.Tolerance)
            .Index(tracking.Iteration).Index(tracking.Slots).Buffer(weights).Buffer(tracking.Track));
    }

    private void LaunchPseudoLabelConvert(Tensor source, Tensor destination)
    {
        string name = (source.DType, destination.DType) switch
        {
            (DType.Float32, DType.Float64) => "em_widen",
            (DType.Float64, DType.Float32) => "em_narrow",
            (DType.Float64, DType.Float64) => "em_copy_double",
            _ => "em_copy_float",
        };
        var kernel = Kernel("em.cu", name);
        long count = source.Length;
        var (groupSize, groups) = EmLaunchShape.Elements(count, kernel.MaxGroupSize, overrides);
        Launch(kernel, groups, groupSize, new KernelArguments().Buffer(source).Buffer(destination).Index(count));
    }

    private double LaunchPseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums, Tensor scratch)
    {
        var kernel = Kernel("em.cu", "em_moments_rows");
        long rows = probs.Rows;
        long cols = probs.Columns;
        var shape = EmLaunchShape.Rows(rows, cols, kernel.MaxGroupSize, overrides);
        var (partials, scalars) = EmParts(scratch, shape, cols);
        Launch(kernel, shape.Groups, shape.GroupSize, new KernelArguments()
            .Buffer(probs).Buffer(labels).Buffer(labels).Int(labels.DType == DType.Float64 ? 1 : 0)
            .Buffer(partials).Buffer(scalars).Index(rows).Index(cols).Index(shape.RowsPerGroup).Int(shape.Segment));
        LaunchEmReduceColumns(partials, shape.Groups, columnSums, status: null);
        return DownloadEmScalars(scalars, shape.Groups).NegativeLogCollision;
    }

    /// <summary>
    /// The step's two passes; with <paramref name="status"/>, both do nothing once status[0] ≠ 0. Gives
    /// back the row groups and the view of the scratch their (Σ −ln, max change) pairs went to.
    /// </summary>
    private (long Groups, Tensor Scalars) LaunchEmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch, Tensor? status)
    {
        var kernel = Kernel("em.cu", "em_step_rows");
        long rows = probs.Rows;
        long cols = probs.Columns;
        var shape = EmLaunchShape.Rows(rows, cols, kernel.MaxGroupSize, overrides);
        var (partials, scalars) = EmParts(scratch, shape, cols);
        Launch(kernel, shape.Groups, shape.GroupSize, new KernelArguments()
            .Buffer(probs).Buffer(current).Buffer(weights).Buffer(next)
            .Buffer(partials).Buffer(scalars).Index(rows).Index(cols).Index(shape.RowsPerGroup).Int(shape.Segment)
            .Buffer(status ?? weights).Int(status is null ? 0 : 1));
        LaunchEmReduceColumns(partials, shape.Groups, nextColumnSums, status);
        return (shape.Groups, scalars);
    }

    /// <summary>
    /// The column partials (groups × K) and per-group scalars (2 × groups) of a row pass, as views of the
    /// caller's scratch: a launcher allocates nothing, so an EM iteration neither allocates nor, on CUDA,
    /// drains the stream with a free.
    /// </summary>
    private (Tensor Partials, Tensor Scalars) EmParts(Tensor scratch, EmLaunchShape shape, long cols) =>
        (Part(scratch, 0, shape.Groups * cols), Part(scratch, EmLaunchShape.ScalarsOffset(shape.Groups, cols), shape.Groups * 2));

    /// <summary>columnSums = the groups' column partials added in group order (nothing once status[0] ≠ 0, with a status).</summary>
    private void LaunchEmReduceColumns(Tensor partials, long groups, Tensor columnSums, Tensor? status)
    {
        var kernel = Kernel("em.cu", "em_reduce_columns");
        long cols = columnSums.Length;
        var (groupSize, columnGroups) = EmLaunchShape.Elements(cols, kernel.MaxGroupSize, overrides);
        Launch(kernel, columnGroups, groupSize, new KernelArguments()
            .Buffer(partials).Index(groups).Index(cols).Buffer(columnSums).Buffer(status ?? columnSums).Int(status is null ? 0 : 1));
    }

    private EmStepReport DownloadEmScalars(Tensor scalars, long groups)
    {
        var values = new double[groups * 2];
        Device.Download(scalars.Buffer, scalars.ByteOffset, MemoryMarshal.AsBytes(values.AsSpan()));
        return EmLaunchShape.Reduce(values);
    }
}
