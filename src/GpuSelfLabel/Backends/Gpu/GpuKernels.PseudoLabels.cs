using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    DType IBackendKernels.PseudoLabelIterateType => DType.Float64;

    void IBackendKernels.PseudoLabelConvert(Tensor source, Tensor destination) =>
        LaunchPseudoLabelConvert(source, destination);

    double IBackendKernels.PseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums) =>
        LaunchPseudoLabelMoments(probs, labels, columnSums);

    EmStepReport IBackendKernels.EmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums) =>
        LaunchEmStep(probs, current, weights, next, nextColumnSums);

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

    private double LaunchPseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums)
    {
        var kernel = Kernel("em.cu", "em_moments_rows");
        long rows = probs.Rows;
        long cols = probs.Columns;
        var shape = EmLaunchShape.Rows(rows, cols, kernel.MaxGroupSize, overrides);
        using var partials = Device.AllocateBuffer(shape.Groups * cols * sizeof(double));
        using var scalars = Device.AllocateBuffer(shape.Groups * 2 * sizeof(double));
        Launch(kernel, shape.Groups, shape.GroupSize, new KernelArguments()
            .Buffer(probs).Buffer(labels).Buffer(labels).Int(labels.DType == DType.Float64 ? 1 : 0)
            .Buffer(partials).Buffer(scalars).Index(rows).Index(cols).Index(shape.RowsPerGroup).Int(shape.Segment));
        LaunchEmReduceColumns(partials, shape.Groups, columnSums);
        return DownloadEmScalars(scalars, shape.Groups).NegativeLogCollision;
    }

    private EmStepReport LaunchEmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums)
    {
        var kernel = Kernel("em.cu", "em_step_rows");
        long rows = probs.Rows;
        long cols = probs.Columns;
        var shape = EmLaunchShape.Rows(rows, cols, kernel.MaxGroupSize, overrides);
        using var partials = Device.AllocateBuffer(shape.Groups * cols * sizeof(double));
        using var scalars = Device.AllocateBuffer(shape.Groups * 2 * sizeof(double));
        Launch(kernel, shape.Groups, shape.GroupSize, new KernelArguments()
            .Buffer(probs).Buffer(current).Buffer(weights).Buffer(next)
            .Buffer(partials).Buffer(scalars).Index(rows).Index(cols).Index(shape.RowsPerGroup).Int(shape.Segment));
        LaunchEmReduceColumns(partials, shape.Groups, nextColumnSums);
        return DownloadEmScalars(scalars, shape.Groups);
    }

    /// <summary>columnSums = the groups' column partials added in group order.</summary>
    private void LaunchEmReduceColumns(DeviceBuffer partials, long groups, Tensor columnSums)
    {
        var kernel = Kernel("em.cu", "em_reduce_columns");
        long cols = columnSums.Length;
        var (groupSize, columnGroups) = EmLaunchShape.Elements(cols, kernel.MaxGroupSize, overrides);
        Launch(kernel, columnGroups, groupSize, new KernelArguments()
            .Buffer(partials).Index(groups).Index(cols).Buffer(columnSums));
    }

    private EmStepReport DownloadEmScalars(DeviceBuffer scalars, long groups)
    {
        var values = new double[groups * 2];
        Device.Download(scalars, 0, MemoryMarshal.AsBytes(values.AsSpan()));
        return EmLaunchShape.Reduce(values);
    }
}
