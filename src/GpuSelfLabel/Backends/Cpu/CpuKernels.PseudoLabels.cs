using System.Buffers;
using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>
    /// Cap on the row blocks of a column-sum reduction: each block keeps a K-vector of partial sums,
    /// so at ImageNet scale (N = 1.28M, K = 3000) the partials stay at 256·K doubles.
    /// </summary>
    private const long MaxColumnPartials = 256;

    /// <summary>One row block of a column reduction: adds its rows into <c>columns</c>, returns its (sum, max).</summary>
    private delegate (double Sum, double Max) ColumnBlock(long start, long end, Span<double> columns, Span<double> scratchA, Span<double> scratchB);

    public DType PseudoLabelIterateType => DType.Float64;

    public void PseudoLabelConvert(Tensor source, Tensor destination)
    {
        int k = checked((int)source.Columns);
        CpuRows.ForBlocks(source.Rows, source.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                if (source.DType == DType.Float32 && destination.DType == DType.Float64)
                {
                    Widen(CpuRows.Row(source, i), Row64(destination, i));
                }
                else if (source.DType == DType.Float64 && destination.DType == DType.Float32)
                {
                    var from = Row64(source, i);
                    var to = CpuRows.Row(destination, i);
                    for (int c = 0; c < k; c++)
                    {
                        to[c] = (float)from[c];
                    }
                }
                else if (source.DType == DType.Float64)
                {
                    Row64(source, i).CopyTo(Row64(destination, i));
                }
                else
                {
                    CpuRows.Row(source, i).CopyTo(CpuRows.Row(destination, i));
                }
            }
        });
    }

    public double PseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums, Tensor scratch)
    {
        var (negativeLog, _) = ReduceColumns(probs.Rows, probs.Columns, All64(columnSums), (start, end, columns, sigma, y) =>
        {
            double sum = 0;
            for (long i = start; i < end; i++)
            {
                Widen(CpuRows.Row(probs, i), sigma);
                ReadOnlySpan<double> row = labels.DType == DType.Float64 ? Row64(labels, i) : Widen(CpuRows.Row(labels, i), y);
                sum -= Math.Log(TensorPrimitives.Dot<double>(sigma, row));
                TensorPrimitives.Add<double>(columns, row, columns);
            }

            return (sum, 0);
        });
        return negativeLog;
    }

    public EmStepReport EmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch)
    {
        var w = All64(weights).ToArray();
        var (negativeLog, maxChange) = ReduceColumns(probs.Rows, probs.Columns, All64(nextColumnSums), (start, end, columns, sigma, change) =>
        {
            double sum = 0;
            double max = 0;
            for (long i = start; i < end; i++)
            {
                Widen(CpuRows.Row(probs, i), sigma);
                var y = Row64(current, i);
                var yNext = Row64(next, i);
                EmRow(sigma, y, w, yNext);
                sum -= Math.Log(TensorPrimitives.Dot<double>(sigma, yNext));
                TensorPrimitives.Subtract<double>(yNext, y, change);
                max = Math.Max(max, Math.Abs(TensorPrimitives.MaxMagnitude<double>(change)));
                TensorPrimitives.Add<double>(columns, yNext, columns);
            }

            return (sum, max);
        });
        return new EmStepReport(maxChange, negativeLog);
    }

    /// <summary>The CPU reference of em_track: the driver's own arithmetic (SelfLabelObjective), on host memory.</summary>
    public void EmTrackedStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch, EmTracking tracking)
    {
        var track = All64(tracking.Track);
        if (track[0] != 0)
        {
            return;
        }

        var report = EmStep(probs, current, weights, next, nextColumnSums, scratch);
        var sums = All64(nextColumnSums);
        var prior = All64(tracking.Prior);
        SelfLabelObjective.Weights(sums, probs.Rows, prior, tracking.Lambda, All64(weights));
        int slot = tracking.Iteration % tracking.Slots;
        track[1 + (2 * slot)] = SelfLabelObjective.Value(report.NegativeLogCollision, probs.Rows, sums, prior, tracking.Lambda);
        track[2 + (2 * slot)] = report.MaxChange;
        if (report.MaxChange < tracking.Tolerance)
        {
            track[0] = tracking.Iteration + 1;
        }
    }

    /// <summary>
    /// y' = (σ∘y / d + w∘y) / (1 + w·y). σ∘y is formed first and divided by its own sum d, so each
    /// term is at most 1 and nothing overflows however small d is; entries with y = 0 stay exactly 0.
    /// </summary>
    private static void EmRow(ReadOnlySpan<double> sigma, ReadOnlySpan<double> y, ReadOnlySpan<double> w, Span<double> yNext)
    {
        TensorPrimitives.Multiply(sigma, y, yNext);
        double d = TensorPrimitives.Sum<double>(yNext);
        if (!(d > 0))
        {
            // The row has no mass where σ has any: F is +∞ there and the majoriser is undefined.
            y.CopyTo(yNext);
            return;
        }

        double denominator = 1 + TensorPrimitives.Dot(w, y);
        TensorPrimitives.Divide(yNext, d, yNext);
        TensorPrimitives.FusedMultiplyAdd(w, y, yNext, yNext);
        TensorPrimitives.Divide(yNext, denominator, yNext);
    }

    /// <summary>
    /// Runs <paramref name="block"/> over row blocks that depend only on the shape and reduces their
    /// column partials, sums and maxima in block order, so the result is independent of thread count.
    /// </summary>
    private static (double Sum, double Max) ReduceColumns(long rows, long columns, Span<double> columnSums, ColumnBlock block)
    {
        int k = checked((int)columns);
        long rowsPerBlock = Math.Max(CpuRows.BlockRows(rows, columns), (rows + MaxColumnPartials - 1) / MaxColumnPartials);
        int blocks = checked((int)((rows + rowsPerBlock - 1) / rowsPerBlock));
        var partials = new double[(long)blocks * k];
        var sums = new double[blocks];
        var maxima = new double[blocks];
        void Run(int b)
        {
            var scratchA = ArrayPool<double>.Shared.Rent(k);
            var scratchB = ArrayPool<double>.Shared.Rent(k);
            try
            {
                long start = b * rowsPerBlock;
                (sums[b], maxima[b]) = block(start, Math.Min(rows, start + rowsPerBlock), partials.AsSpan(b * k, k), scratchA.AsSpan(0, k), scratchB.AsSpan(0, k));
            }
            finally
            {
                ArrayPool<double>.Shared.Return(scratchA);
                ArrayPool<double>.Shared.Return(scratchB);
            }
        }

        if (blocks == 1)
        {
            Run(0);
        }
        else
        {
            Parallel.For(0, blocks, Run);
        }

        partials.AsSpan(0, k).CopyTo(columnSums);
        double sum = sums[0];
        double max = maxima[0];
        for (int b = 1; b < blocks; b++)
        {
            TensorPrimitives.Add(columnSums, partials.AsSpan(b * k, k), columnSums);
            sum += sums[b];
            max = Math.Max(max, maxima[b]);
        }

        return (sum, max);
    }

    /// <summary>Widens a float32 row into a double row of the same length and returns it.</summary>
    private static Span<double> Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        // float → double is exact, so the "truncating" conversion loses nothing; it is the vectorised one.
        TensorPrimitives.ConvertTruncating(source, destination);
        return destination;
    }

    private static unsafe Span<double> Row64(Tensor tensor, long row)
    {
        long columns = tensor.Columns;
        var basePointer = (double*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset);
        return new Span<double>(basePointer + (row * columns), checked((int)columns));
    }

    private static unsafe Span<double> All64(Tensor tensor) =>
        new((double*)(tensor.Buffer.Handle + (nint)tensor.ByteOffset), checked((int)tensor.Length));
}
