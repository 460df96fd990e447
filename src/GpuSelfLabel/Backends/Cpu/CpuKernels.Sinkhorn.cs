using System.Buffers;
using System.Numerics.Tensors;
using static GpuSelfLabel.Backends.Cpu.SinkhornRowMath;

namespace GpuSelfLabel.Backends.Cpu;

// Every per-element quantity is float64: x = λ·z + log r reaches thousands for extreme logits, and
// its exponentials must keep 1e-7 relative accuracy so that log r and log c stay within 1e-6 of a
// float64 evaluation after hundreds of iterations.
internal sealed partial class CpuKernels
{
    public void SinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output)
    {
        int k = checked((int)matrix.Columns);
        CpuRows.ForBlocks(matrix.Rows, k, (start, end) =>
        {
            var rented = ArrayPool<double>.Shared.Rent(k);
            try
            {
                var x = rented.AsSpan(0, k);
                var shift = columnShift is null ? default : Doubles(columnShift);
                var result = Doubles(output);
                for (long i = start; i < end; i++)
                {
                    ScaleRow(CpuRows.Row(matrix, i), scale, x);
                    if (columnShift is not null)
                    {
                        TensorPrimitives.Subtract(x, shift, x);
                    }

                    result[checked((int)(firstRow + i))] = offset + LogSumExpInPlace(x, out _);
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        });
    }

    public void SinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor rowShift, double offset, Tensor output, bool accumulate)
    {
        int k = checked((int)matrix.Columns);
        long rows = matrix.Rows;
        var (blocks, rowsPerBlock) = ReductionBlocks(rows, k);
        var maxima = ArrayPool<double>.Shared.Rent(blocks * k);
        var sums = ArrayPool<double>.Shared.Rent(blocks * k);
        try
        {
            // Each block keeps an online (running max, rescaled sum) pair per column, so one read of
            // the rows suffices and a column whose every entry is e^-4000 still has a finite LSE.
            ForReductionBlocks(rows, blocks, rowsPerBlock, (b, start, end) =>
            {
                var rented = ArrayPool<double>.Shared.Rent(2 * k);
                try
                {
                    var m = maxima.AsSpan(b * k, k);
                    var s = sums.AsSpan(b * k, k);
                    var x = rented.AsSpan(0, k);
                    var newMax = rented.AsSpan(k, k);
                    var shift = Doubles(rowShift);
                    m.Fill(double.NegativeInfinity);
                    s.Clear();
                    for (long i = start; i < end; i++)
                    {
                        ScaleRow(CpuRows.Row(matrix, i), scale, x);
                        TensorPrimitives.Subtract(x, shift[checked((int)(firstRow + i))], x);
                        TensorPrimitives.Max(m, x, newMax);
                        TensorPrimitives.Subtract(m, newMax, m);
                        ExpInPlace(m);
                        TensorPrimitives.Multiply(s, m, s);
                        TensorPrimitives.Subtract(x, newMax, x);
                        ExpInPlace(x);
                        TensorPrimitives.Add(s, x, s);
                        newMax.CopyTo(m);
                    }
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(rented);
                }
            });

            var result = Doubles(output);
            for (int j = 0; j < k; j++)
            {
                double max = double.NegativeInfinity;
                for (int b = 0; b < blocks; b++)
                {
                    max = Math.Max(max, maxima[(b * k) + j]);
                }

                double total = 0;
                for (int b = 0; b < blocks; b++)
                {
                    total += sums[(b * k) + j] * Math.Exp(maxima[(b * k) + j] - max);
                }

                double value = offset + max + Math.Log(total);
                result[j] = accumulate ? LogAddExp(result[j], value) : value;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(maxima);
            ArrayPool<double>.Shared.Return(sums);
        }
    }

    public double SinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError)
    {
        int k = checked((int)logits.Columns);
        long rows = logits.Rows;
        var (blocks, rowsPerBlock) = ReductionBlocks(rows, k);
        var partials = ArrayPool<double>.Shared.Rent(blocks * k);
        var errors = new double[blocks];
        try
        {
            ForReductionBlocks(rows, blocks, rowsPerBlock, (b, start, end) =>
            {
                var rented = ArrayPool<double>.Shared.Rent(k);
                try
                {
                    var partial = partials.AsSpan(b * k, k);
                    var x = rented.AsSpan(0, k);
                    var r = Doubles(logR);
                    var state = Doubles(rowState);
                    partial.Clear();
                    double error = 0;
                    for (long i = start; i < end; i++)
                    {
                        int row = checked((int)(firstRow + i));
                        ScaleRow(CpuRows.Row(logits, i), lambda, r, x);
                        double a = LogSumExpInPlace(x, out double sum);
                        if (measureError)
                        {
                            error += Math.Abs(Math.Exp(a - state[row]) - 1);
                        }

                        state[row] = a;
                        TensorPrimitives.MultiplyAdd(x, 1 / sum, partial, partial);
                    }

                    errors[b] = error;
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(rented);
                }
            });

            var result = Doubles(columnSums);
            if (!accumulate)
            {
                result.Clear();
            }

            double total = 0;
            for (int b = 0; b < blocks; b++)
            {
                TensorPrimitives.Add(result, partials.AsSpan(b * k, k), result);
                total += errors[b];
            }

            return measureError ? total : 0;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partials);
        }
    }

    public void SinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes)
    {
        int k = checked((int)logits.Columns);
        CpuRows.ForBlocks(logits.Rows, k, (start, end) =>
        {
            var rented = ArrayPool<double>.Shared.Rent(k);
            try
            {
                var x = rented.AsSpan(0, k);
                var r = Doubles(logR);
                var lse = Doubles(rowLse);
                var state = Doubles(rowState);
                var logc = CpuRows.All(logC);
                var label = Longs(labels);
                for (long i = start; i < end; i++)
                {
                    int row = checked((int)(firstRow + i));
                    ScaleRow(CpuRows.Row(logits, i), lambda, r, x);
                    label[row] = FirstIndexOfMax(x);
                    logc[row] = (float)(lse[row] - state[row] - logRows);
                    if (codes is not null)
                    {
                        TensorPrimitives.Subtract(x, state[row], x);
                        ExpInPlace(x);
                        TensorPrimitives.ConvertTruncating<double, float>(x, CpuRows.Row(codes, i));
                    }
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        });
    }

    public void SinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output)
    {
        int k = checked((int)matrix.Columns);
        CpuRows.ForBlocks(matrix.Rows, k, (start, end) =>
        {
            var rented = ArrayPool<double>.Shared.Rent(k);
            try
            {
                var x = rented.AsSpan(0, k);
                var columns = columnShift is null ? default : Doubles(columnShift);
                var rowsShift = Doubles(rowShift);
                for (long i = start; i < end; i++)
                {
                    ScaleRow(CpuRows.Row(matrix, i), scale, x);
                    if (columnShift is not null)
                    {
                        TensorPrimitives.Subtract(x, columns, x);
                    }

                    TensorPrimitives.Add(x, offset - rowsShift[checked((int)i)], x);
                    ExpInPlace(x);
                    TensorPrimitives.ConvertTruncating<double, float>(x, CpuRows.Row(output, i));
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        });
    }
}
