using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// What the OpenCL and CUDA launchers of kernels/sinkhorn.cu share: the fixed row blocks of the
/// column reductions, the argument lists (each in its kernel's parameter order) and the host's sum
/// of the per-group error partials. The launchers keep the kernel lookup, the group sizes and the
/// launches themselves.
/// <para>
/// Tensors travel as (whole buffer, element offset) rather than as a pointer at their byte offset:
/// head views and row chunks start at any element, and an OpenCL sub-buffer must start on the
/// device's base-address alignment (CL_MISALIGNED_SUB_BUFFER_OFFSET otherwise).
/// </para>
/// </summary>
internal static class SinkhornLaunches
{
    public const string KernelFile = "sinkhorn.cu";

    /// <summary>
    /// The most row blocks a column reduction uses: their partial K-vectors are 256·K doubles (6 MB at
    /// K = 3000), reduced by one work-item per column, and 256 groups of 256 fill an H100.
    /// </summary>
    public const int MaxReductionGroups = 256;

    /// <summary>
    /// Row blocks for a column reduction over <paramref name="rows"/> rows: a count that depends only on
    /// the shape (and a test's override), so sums come out the same on every run.
    /// </summary>
    public static (int Groups, long RowsPerGroup) ReductionGroups(long rows, long? maxGroups)
    {
        long count = Math.Clamp(rows, 1, Math.Min(maxGroups ?? MaxReductionGroups, MaxReductionGroups));
        long rowsPerGroup = Math.Max(1, (rows + count - 1) / count);
        return ((int)Math.Max(1, (rows + rowsPerGroup - 1) / rowsPerGroup), rowsPerGroup);
    }

    /// <summary>Adjacent columns per group of the column reductions (SK_REDUCE_LANES in the kernel).</summary>
    private const int ReduceLanes = 32;

    /// <summary>
    /// Groups for a column reduction: each takes min(32, group size) adjacent columns, so K = 3000
    /// spreads its 256 partial rows over 94 groups (grid-stride beyond).
    /// </summary>
    public static long ColumnGroups(long columns, int groupSize, long? maxGroups)
    {
        int lanes = Math.Min(ReduceLanes, groupSize);
        return Math.Clamp((columns + lanes - 1) / lanes, 1, maxGroups ?? LaunchShape.MaxGroups);
    }

    public static KernelArguments RowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output, Tensor? rowMax) =>
        new KernelArguments()
            .Elements(matrix).Index(matrix.Rows).Index(matrix.Columns).Double(scale)
            .Optional(columnShift, matrix).Double(offset).Elements(output, firstRow)
            .Optional(rowMax, output, firstRow).Int(StorageCode(matrix));

    public static KernelArguments ColumnLogSumExpPartial(Tensor matrix, long firstRow, long rowsPerGroup, double scale, Tensor? rowMax, Tensor rowShift, Tensor maxima, Tensor sums) =>
        new KernelArguments()
            .Elements(matrix).Index(matrix.Rows).Index(matrix.Columns).Index(rowsPerGroup).Double(scale)
            .Optional(rowMax, rowShift, firstRow).Elements(rowShift, firstRow).Buffer(maxima).Buffer(sums).Int(StorageCode(matrix));

    public static KernelArguments ColumnLogSumExpReduce(Tensor maxima, Tensor sums, int groups, long columns, double offset, Tensor output, bool accumulate) =>
        new KernelArguments()
            .Buffer(maxima).Buffer(sums).Index(groups).Index(columns).Double(offset).Elements(output).Int(accumulate ? 1 : 0);

    public static KernelArguments SelaPass(Tensor logits, long firstRow, long rowsPerGroup, double lambda, Tensor rowMax, Tensor logR, Tensor rowState, Tensor partials, Tensor errors, bool measureError) =>
        new KernelArguments()
            .Elements(logits).Index(logits.Rows).Index(logits.Columns).Index(rowsPerGroup).Double(lambda)
            .Elements(rowMax, firstRow).Elements(logR).Elements(rowState, firstRow).Buffer(partials).Buffer(errors).Int(measureError ? 1 : 0)
            .Int(StorageCode(logits));

    public static KernelArguments ColumnSumReduce(Tensor partials, int groups, long columns, Tensor output, bool accumulate) =>
        new KernelArguments()
            .Buffer(partials).Index(groups).Index(columns).Elements(output).Int(accumulate ? 1 : 0);

    public static KernelArguments SelaLogR(Tensor columnSums, double offset, double smallestTrusted, Tensor logR, Tensor status) =>
        new KernelArguments()
            .Elements(columnSums).Index(logR.Length).Double(offset).Double(smallestTrusted).Elements(logR).Elements(status);

    public static KernelArguments SwavColumnWeights(Tensor columnSums, Tensor columnWeights) =>
        new KernelArguments()
            .Elements(columnSums).Index(columnWeights.Length).Elements(columnWeights);

    public static KernelArguments SelaFinalize(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes) =>
        new KernelArguments()
            .Elements(logits).Index(logits.Rows).Index(logits.Columns).Double(lambda)
            .Elements(rowMax, firstRow).Elements(logR)
            .Elements(rowLse, firstRow).Elements(rowState, firstRow).Double(logRows)
            .Elements(logC, firstRow).Elements(labels, firstRow).Optional(codes, logits).Int(StorageCode(logits));

    public static KernelArguments ExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output) =>
        new KernelArguments()
            .Elements(matrix).Index(matrix.Rows).Index(matrix.Columns).Double(scale)
            .Optional(columnShift, matrix).Elements(rowShift).Double(offset).Elements(output);

    public static KernelArguments SwavLogCodes(Tensor scores, double scale, Tensor columnShift, Tensor output) =>
        new KernelArguments()
            .Elements(scores).Index(scores.Rows).Index(scores.Columns).Double(scale).Elements(columnShift).Elements(output);

    public static KernelArguments AddBias(Tensor matrix, Tensor bias) =>
        new KernelArguments().Elements(matrix).Index(matrix.Rows).Index(matrix.Columns).Elements(bias);

    public static KernelArguments SwavExpRows(Tensor scores, double scale, Tensor rowMax, Tensor rowSpread, Tensor output) =>
        new KernelArguments()
            .Elements(scores).Index(scores.Rows).Index(scores.Columns).Double(scale)
            .Elements(rowMax).Elements(rowSpread).Elements(output);

    public static KernelArguments SwavColumnSumsPartial(Tensor e, long rowsPerGroup, Tensor rowWeights, Tensor partials) =>
        new KernelArguments()
            .Elements(e).Index(e.Rows).Index(e.Columns).Index(rowsPerGroup).Elements(rowWeights).Buffer(partials);

    public static KernelArguments SwavRowStep(Tensor e, long rowsPerGroup, Tensor columnWeights, double rowTarget, Tensor rowWeights, Tensor partials, bool hasColumns) =>
        new KernelArguments()
            .Elements(e).Index(e.Rows).Index(e.Columns).Index(rowsPerGroup).Elements(columnWeights).Double(rowTarget)
            .Elements(rowWeights).Buffer(partials).Int(hasColumns ? 1 : 0);

    public static KernelArguments SwavRowStepAndScale(Tensor e, Tensor columnWeights, double rowTarget, double factor) =>
        new KernelArguments()
            .Elements(e).Index(e.Rows).Index(e.Columns).Elements(columnWeights).Double(rowTarget).Double(factor);

    public static KernelArguments SwavScale(Tensor e, Tensor rowWeights, Tensor columnWeights, double factor) =>
        new KernelArguments()
            .Elements(e).Index(e.Rows).Index(e.Columns).Elements(rowWeights).Elements(columnWeights).Double(factor);

    /// <summary>The dtype argument of the SeLa kernels (SK_FLOAT32, SK_FLOAT16, SK_BFLOAT16).</summary>
    public static int StorageCode(Tensor matrix) => matrix.DType switch
    {
        DType.Float32 => 0,
        DType.Float16 => 1,
        DType.BFloat16 => 2,
        _ => throw new InvalidOperationException($"{KernelFile}: a {matrix.DType} matrix is not a score matrix"),
    };

    /// <summary>The groups' error partials, added on the host in group order.</summary>
    public static double SumErrors(Backend backend, Tensor errors, int groups)
    {
        var values = new double[groups];
        backend.Download(errors.Buffer, errors.ByteOffset, MemoryMarshal.AsBytes(values.AsSpan()));
        double total = 0;
        foreach (var v in values)
        {
            total += v;
        }

        return total;
    }

    /// <summary>A (base pointer, element offset) pair: <paramref name="firstElement"/> elements past the tensor's start.</summary>
    private static KernelArguments Elements(this KernelArguments arguments, Tensor tensor, long firstElement = 0)
    {
        long size = tensor.DType.SizeInBytes();
        if (tensor.ByteOffset % size != 0)
        {
            throw new InvalidOperationException($"{KernelFile}: a tensor starts {tensor.ByteOffset} bytes into its buffer, not on a {size}-byte element");
        }

        return arguments.Buffer(tensor.Buffer).Index((tensor.ByteOffset / size) + firstElement);
    }

    /// <summary>
    /// A (base pointer, element offset) pair and its presence flag: an absent tensor passes
    /// <paramref name="standIn"/>'s buffer, which the kernel never reads when the flag is 0.
    /// </summary>
    private static KernelArguments Optional(this KernelArguments arguments, Tensor? tensor, Tensor standIn, long firstElement = 0) =>
        tensor is null
            ? arguments.Buffer(standIn.Buffer).Index(0).Int(0)
            : arguments.Elements(tensor, firstElement).Int(1);
}
