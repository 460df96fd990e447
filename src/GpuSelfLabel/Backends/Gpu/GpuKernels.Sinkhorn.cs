using static GpuSelfLabel.Backends.Gpu.SinkhornLaunches;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    void IBackendKernels.SinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output, Tensor? rowMax) =>
        LaunchSinkhornRowLogSumExp(matrix, firstRow, scale, columnShift, offset, output, rowMax);

    void IBackendKernels.SinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? rowMax, Tensor rowShift, double offset, Tensor output, bool accumulate, Tensor scratch) =>
        LaunchSinkhornColumnLogSumExp(matrix, firstRow, scale, rowMax, rowShift, offset, output, accumulate, scratch);

    double IBackendKernels.SinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError, Tensor scratch) =>
        LaunchSinkhornSelaPass(logits, firstRow, lambda, rowMax, logR, rowState, columnSums, accumulate, measureError, scratch);

    void IBackendKernels.SinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes) =>
        LaunchSinkhornSelaFinalize(logits, firstRow, lambda, rowMax, logR, rowLse, rowState, logRows, logC, labels, codes);

    void IBackendKernels.SinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output) =>
        LaunchSinkhornExpShifted(matrix, scale, columnShift, rowShift, offset, output);

    void IBackendKernels.SwavLogCodes(Tensor scores, double scale, Tensor columnShift, Tensor output)
    {
        var kernel = Kernel(KernelFile, "swav_log_codes");
        Launch(kernel, RowGroups(scores.Rows), RowGroupSize(kernel, scores.Columns), SwavLogCodes(scores, scale, columnShift, output));
    }

    void IBackendKernels.SinkhornAddBias(Tensor matrix, Tensor bias)
    {
        var kernel = Kernel(KernelFile, "sinkhorn_add_bias");
        Launch(kernel, RowGroups(matrix.Rows), RowGroupSize(kernel, matrix.Columns), AddBias(matrix, bias));
    }

    // The column sums would be a second read of the codes here: they are left to SwavColumnSums, which
    // the solver runs only on the linear path (the CPU backend fuses them into its exponential pass).
    bool IBackendKernels.SwavExpRows(Tensor scores, double scale, Tensor rowMax, Tensor rowSpread, Tensor output, Tensor columnSums)
    {
        var kernel = Kernel(KernelFile, "swav_exp_rows");
        Launch(kernel, RowGroups(scores.Rows), RowGroupSize(kernel, scores.Columns), SwavExpRows(scores, scale, rowMax, rowSpread, output));
        return false;
    }

    void IBackendKernels.SwavColumnSums(Tensor e, Tensor rowWeights, Tensor columnSums, Tensor scratch)
    {
        var partial = Kernel(KernelFile, "swav_column_sums_partial");
        long cols = e.Columns;
        var (groups, rowsPerGroup) = ReductionGroups(e.Rows, overrides.MaxGroups);
        var partials = Part(scratch, 0, groups * cols);
        Launch(partial, groups, RowGroupSize(partial, cols), SwavColumnSumsPartial(e, rowsPerGroup, rowWeights, partials));
        ReduceColumnSums(partials, groups, cols, columnSums);
    }

    void IBackendKernels.SwavRowStep(Tensor e, Tensor columnWeights, double rowTarget, Tensor rowWeights, Tensor? columnSums, Tensor scratch)
    {
        var step = Kernel(KernelFile, "swav_row_step");
        long cols = e.Columns;
        var (groups, rowsPerGroup) = ReductionGroups(e.Rows, overrides.MaxGroups);
        var partials = Part(scratch, 0, columnSums is null ? 1 : groups * cols);
        Launch(step, groups, RowGroupSize(step, cols), SwavRowStep(e, rowsPerGroup, columnWeights, rowTarget, rowWeights, partials, columnSums is not null));
        if (columnSums is not null)
        {
            ReduceColumnSums(partials, groups, cols, columnSums);
        }
    }

    void IBackendKernels.SinkhornSelaLogR(Tensor columnSums, double offset, double smallestTrusted, Tensor logR, Tensor status)
    {
        var kernel = Kernel(KernelFile, "sinkhorn_sela_log_r");
        var (groups, groupSize) = VectorGroups(kernel, logR.Length);
        Launch(kernel, groups, groupSize, SelaLogR(columnSums, offset, smallestTrusted, logR, status));
    }

    void IBackendKernels.SwavColumnWeights(Tensor columnSums, Tensor columnWeights)
    {
        var kernel = Kernel(KernelFile, "swav_column_weights");
        var (groups, groupSize) = VectorGroups(kernel, columnWeights.Length);
        Launch(kernel, groups, groupSize, SwavColumnWeights(columnSums, columnWeights));
    }

    void IBackendKernels.SwavRowStepAndScale(Tensor e, Tensor columnWeights, double rowTarget, double factor)
    {
        var kernel = Kernel(KernelFile, "swav_row_step_scale");
        Launch(kernel, RowGroups(e.Rows), RowGroupSize(kernel, e.Columns), SwavRowStepAndScale(e, columnWeights, rowTarget, factor));
    }

    void IBackendKernels.SwavScale(Tensor e, Tensor rowWeights, Tensor columnWeights, double factor)
    {
        var kernel = Kernel(KernelFile, "swav_scale");
        Launch(kernel, RowGroups(e.Rows), RowGroupSize(kernel, e.Columns), SwavScale(e, rowWeights, columnWeights, factor));
    }

    private void ReduceColumnSums(Tensor partials, int groups, long cols, Tensor output)
    {
        var reduce = Kernel(KernelFile, "sinkhorn_column_sum_reduce");
        int reduceSize = RowGroupSize(reduce, LaunchShape.MaxLocalSize);
        Launch(reduce, ColumnGroups(cols, reduceSize, overrides.MaxGroups), reduceSize,
            ColumnSumReduce(partials, groups, cols, output, accumulate: false));
    }

    private void LaunchSinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output, Tensor? rowMax)
    {
        var kernel = Kernel(KernelFile, "sinkhorn_row_lse");
        Launch(kernel, RowGroups(matrix.Rows), RowGroupSize(kernel, matrix.Columns),
            RowLogSumExp(matrix, firstRow, scale, columnShift, offset, output, rowMax));
    }

    private void LaunchSinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? rowMax, Tensor rowShift, double offset, Tensor output, bool accumulate, Tensor scratch)
    {
        var partial = Kernel(KernelFile, "sinkhorn_column_lse_partial");
        var reduce = Kernel(KernelFile, "sinkhorn_column_lse_reduce");
        long cols = matrix.Columns;
        var (groups, rowsPerGroup) = ReductionGroups(matrix.Rows, overrides.MaxGroups);
        var maxima = Part(scratch, 0, groups * cols);
        var sums = Part(scratch, Aligned(groups * cols), groups * cols);
        Launch(partial, groups, RowGroupSize(partial, cols),
            ColumnLogSumExpPartial(matrix, firstRow, rowsPerGroup, scale, rowMax, rowShift, maxima, sums));
        int reduceSize = RowGroupSize(reduce, LaunchShape.MaxLocalSize);
        Launch(reduce, ColumnGroups(cols, reduceSize, overrides.MaxGroups), reduceSize,
            ColumnLogSumExpReduce(maxima, sums, groups, cols, offset, output, accumulate));
    }

    private double LaunchSinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError, Tensor scratch)
    {
        var pass = Kernel(KernelFile, "sinkhorn_sela_pass");
        var reduce = Kernel(KernelFile, "sinkhorn_column_sum_reduce");
        long cols = logits.Columns;
        var (groups, rowsPerGroup) = ReductionGroups(logits.Rows, overrides.MaxGroups);
        var partials = Part(scratch, 0, groups * cols);
        var errors = Part(scratch, Aligned(Aligned(groups * cols) + (groups * cols)), groups);
        Launch(pass, groups, RowGroupSize(pass, cols),
            SelaPass(logits, firstRow, rowsPerGroup, lambda, rowMax, logR, rowState, partials, errors, measureError));
        int reduceSize = RowGroupSize(reduce, LaunchShape.MaxLocalSize);
        Launch(reduce, ColumnGroups(cols, reduceSize, overrides.MaxGroups), reduceSize,
            ColumnSumReduce(partials, groups, cols, columnSums, accumulate));
        return measureError ? SumErrors(Device, errors, groups) : 0;
    }

    private void LaunchSinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes)
    {
        var kernel = Kernel(KernelFile, "sinkhorn_sela_finalize");
        Launch(kernel, RowGroups(logits.Rows), RowGroupSize(kernel, logits.Columns),
            SelaFinalize(logits, firstRow, lambda, rowMax, logR, rowLse, rowState, logRows, logC, labels, codes));
    }

    private void LaunchSinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output)
    {
        var kernel = Kernel(KernelFile, "sinkhorn_exp_shifted");
        Launch(kernel, RowGroups(matrix.Rows), RowGroupSize(kernel, matrix.Columns),
            ExpShifted(matrix, scale, columnShift, rowShift, offset, output));
    }

    /// <summary>Groups for an elementwise kernel over a K-vector: one work-item per element (grid-stride beyond the group limit).</summary>
    private (long Groups, int GroupSize) VectorGroups(GpuKernel kernel, long length)
    {
        int groupSize = RowGroupSize(kernel, length);
        return (Math.Clamp((length + groupSize - 1) / groupSize, 1, overrides.MaxGroups ?? LaunchShape.MaxGroups), groupSize);
    }

    /// <summary>
    /// Elements [<paramref name="first"/>, first + count) of the caller's float64 scratch as a view (no
    /// allocation); a kernel may store any 8-byte or smaller type there (int64 rows, int32 counts). The
    /// row reductions use at most MaxReductionGroups groups, so Backend.ReductionScratchElements(K) covers
    /// two group×K blocks and the per-group errors; the other families size theirs with their own
    /// Backend.*ScratchElements method.
    /// </summary>
    private Tensor Part(Tensor scratch, long first, long count)
    {
        if (scratch.DType != DType.Float64 || first + count > scratch.Length)
        {
            throw new InvalidOperationException($"scratch of {scratch.Length} {scratch.DType} elements cannot hold elements [{first}, {first + count}) as float64");
        }

        return new Tensor(Device, scratch.Buffer, DType.Float64, [count], scratch.ByteOffset + (first * sizeof(double)), ownsBuffer: false);
    }

    /// <summary><paramref name="elements"/> rounded up to a multiple of <see cref="Backend.ScratchAlignment"/>.</summary>
    private static long Aligned(long elements) => (elements + Backend.ScratchAlignment - 1) / Backend.ScratchAlignment * Backend.ScratchAlignment;
}
