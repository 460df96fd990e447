using System.Buffers;
using System.Numerics.Tensors;
using static GpuSelfLabel.Backends.Cpu.SinkhornRowMath;

namespace GpuSelfLabel.Backends.Cpu;

// Arguments are float64 and exponentials float32 of max-shifted arguments, accumulated in float64
// (SinkhornRowMath): log r and log c stay within 1e-6 of a float64 evaluation, at a quarter of the
// cost of float64 exponentials. The row log-sum-exp alone keeps float64 exponentials: the SeLa driver
// multiplies it by λ. Matrices may be stored as float32, float16 or bfloat16 (StorageRows).
internal sealed partial class CpuKernels
{
    /// <summary>Below this a column-max rescale factor is 0 to float64 anyway; raising it keeps exp on its fast path.</summary>
    private const double MinRescaleExponent = -700;

    public void SinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output, Tensor? rowMax)
    {
        int k = checked((int)matrix.Columns);
        CpuRows.ForBlocks(matrix.Rows, k, (start, end) =>
        {
            using var scratch = new RowScratch(k);
            var v = NegatedShift(columnShift, scratch.Doubles);

            var x = ArrayPool<double>.Shared.Rent(k);
            try
            {
                var result = Doubles(output);
                var maxima = rowMax is null ? default : Doubles(rowMax);
                for (long i = start; i < end; i++)
                {
                    var z = StorageRows.Load(matrix, i, scratch.Row);
                    var (max, logSum) = PreciseLogSumExpOfAffine(z, scale, v, x.AsSpan(0, k));
                    int row = checked((int)(firstRow + i));
                    if (rowMax is null)
                    {
                        result[row] = offset + (max + logSum);
                    }
                    else
                    {
                        maxima[row] = max;
                        result[row] = offset + logSum;
                    }
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(x);
            }
        });
    }

    public void SinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? rowMax, Tensor rowShift, double offset, Tensor output, bool accumulate, Tensor scratch)
    {
        int k = checked((int)matrix.Columns);
        long rows = matrix.Rows;
        var (blocks, rowsPerBlock) = ReductionBlocks(rows, k);
        int tileRows = TileRows(k);
        var maxima = ArrayPool<double>.Shared.Rent(blocks * k);
        var sums = ArrayPool<double>.Shared.Rent(blocks * k);
        try
        {
            // Each block keeps a running (max, rescaled sum) pair per column and takes its rows a tile at
            // a time: the tile's column maxima first, then one exponential per element against them, so a
            // column whose every entry is e^-4000 still has a finite LSE.
            ForReductionBlocks(rows, blocks, rowsPerBlock, (b, start, end) =>
            {
                var tile = ArrayPool<float>.Shared.Rent(tileRows * k);
                var work = ArrayPool<double>.Shared.Rent(2 * k);
                var arguments = ArrayPool<float>.Shared.Rent(k);
                try
                {
                    var m = maxima.AsSpan(b * k, k);
                    var s = sums.AsSpan(b * k, k);
                    var tileMax = work.AsSpan(0, k);
                    var negatedMax = work.AsSpan(k, k);
                    var shift = Doubles(rowShift);
                    var origins = rowMax is null ? default : Doubles(rowMax);
                    m.Fill(double.NegativeInfinity);
                    s.Clear();
                    for (long first = start; first < end; first += tileRows)
                    {
                        int count = (int)Math.Min(tileRows, end - first);
                        tileMax.Fill(double.NegativeInfinity);
                        for (int t = 0; t < count; t++)
                        {
                            int row = checked((int)(firstRow + first + t));
                            var z = StorageRows.Load(matrix, first + t, tile.AsSpan(t * k, k));
                            ColumnMaxOfAffine(z, rowMax is null ? 0 : origins[row], scale, -shift[row], tileMax);
                        }

                        Rescale(m, tileMax, s, negatedMax);
                        for (int t = 0; t < count; t++)
                        {
                            // A converted row is still in the tile; a float32 one is read in place again.
                            int row = checked((int)(firstRow + first + t));
                            var z = matrix.DType == DType.Float32 ? StorageRows.Load(matrix, first + t, default) : tile.AsSpan(t * k, k);
                            AddExpOfAffine(z, rowMax is null ? 0 : origins[row], scale, -shift[row], negatedMax, arguments.AsSpan(0, k), s);
                        }
                    }
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(work);
                    ArrayPool<float>.Shared.Return(arguments);
                    ArrayPool<float>.Shared.Return(tile);
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
                    total += sums[(b * k) + j] * Math.Exp(Math.Max(maxima[(b * k) + j] - max, MinRescaleExponent));
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

    public double SinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError, Tensor scratch)
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
                using var scratch = new RowScratch(k);
                var partial = partials.AsSpan(b * k, k);
                var r = Doubles(logR);
                var state = Doubles(rowState);
                var origins = Doubles(rowMax);
                partial.Clear();
                double error = 0;
                for (long i = start; i < end; i++)
                {
                    int row = checked((int)(firstRow + i));
                    var z = StorageRows.Load(logits, i, scratch.Row);
                    double max = MaxOfAffine(z, origins[row], lambda, r);
                    double sum = ExpOfAffine(z, origins[row], lambda, r, -max, scratch.Exps);
                    double a = max + Math.Log(sum);
                    if (measureError)
                    {
                        error += Math.Abs(Math.Exp(a - state[row]) - 1);
                    }

                    state[row] = a;
                    AddScaled(scratch.Exps, 1 / sum, partial);
                }

                errors[b] = error;
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

    public void SinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes)
    {
        int k = checked((int)logits.Columns);
        CpuRows.ForBlocks(logits.Rows, k, (start, end) =>
        {
            using var scratch = new RowScratch(k);
            var r = Doubles(logR);
            var lse = Doubles(rowLse);
            var state = Doubles(rowState);
            var origins = Doubles(rowMax);
            var logc = CpuRows.All(logC);
            var label = Longs(labels);
            for (long i = start; i < end; i++)
            {
                int row = checked((int)(firstRow + i));
                var z = StorageRows.Load(logits, i, scratch.Row);
                double origin = origins[row];
                label[row] = FirstIndexOfMax(z, origin, lambda, r, MaxOfAffine(z, origin, lambda, r));
                logc[row] = (float)(lse[row] - state[row] - logRows);
                if (codes is not null)
                {
                    ExpOfAffine(z, origin, lambda, r, -state[row], CpuRows.Row(codes, i));
                }
            }
        });
    }

    public void SinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output)
    {
        int k = checked((int)matrix.Columns);
        CpuRows.ForBlocks(matrix.Rows, k, (start, end) =>
        {
            using var scratch = new RowScratch(k);
            var v = NegatedShift(columnShift, scratch.Doubles);

            var rowsShift = Doubles(rowShift);
            for (long i = start; i < end; i++)
            {
                var z = StorageRows.Load(matrix, i, scratch.Row);
                ExpOfAffine(z, 0, scale, v, offset - rowsShift[checked((int)i)], CpuRows.Row(output, i));
            }
        });
    }

    public void SwavLogCodes(Tensor scores, double scale, Tensor columnShift, Tensor output)
    {
        int k = checked((int)scores.Columns);
        CpuRows.ForBlocks(scores.Rows, k, (start, end) =>
        {
            var shift = Doubles(columnShift);
            var y = new double[k];
            for (long i = start; i < end; i++)
            {
                var z = CpuRows.Row(scores, i);
                double max = double.NegativeInfinity;
                for (int j = 0; j < k; j++)
                {
                    y[j] = (scale * z[j]) - shift[j];
                    max = Math.Max(max, y[j]);
                }

                double sum = 0;
                for (int j = 0; j < k; j++)
                {
                    y[j] = Math.Exp(y[j] - max);
                    sum += y[j];
                }

                var o = CpuRows.Row(output, i);
                for (int j = 0; j < k; j++)
                {
                    o[j] = (float)(y[j] / sum);
                }
            }
        });
    }

    public void SinkhornAddBias(Tensor matrix, Tensor bias) =>
        CpuRows.ForBlocks(matrix.Rows, matrix.Columns, (start, end) =>
        {
            var b = CpuRows.All(bias);
            for (long i = start; i < end; i++)
            {
                var row = CpuRows.Row(matrix, i);
                TensorPrimitives.Add(row, b, row);
            }
        });

    public bool SwavExpRows(Tensor scores, double scale, Tensor rowMax, Tensor rowSpread, Tensor output, Tensor columnSums)
    {
        int k = checked((int)scores.Columns);
        var (blocks, rowsPerBlock) = ReductionBlocks(scores.Rows, k);
        var partials = ArrayPool<double>.Shared.Rent(blocks * k);
        var references = new double[blocks];
        try
        {
            ForReductionBlocks(scores.Rows, blocks, rowsPerBlock, (b, start, end) =>
            {
                using var scratch = new RowScratch(k);
                var max = Doubles(rowMax);
                var spread = Doubles(rowSpread);
                var partial = partials.AsSpan(b * k, k);
                partial.Clear();
                for (long i = start; i < end; i++)
                {
                    CpuPrefetch.Row(scores, i + 2);
                    var z = StorageRows.Load(scores, i, scratch.Row);

                    // scale > 0, so the extremes of scale·z are scale times those of z, exactly.
                    var (hi, lo) = Extremes(z);
                    double m = scale * hi;
                    max[checked((int)i)] = m;
                    spread[checked((int)i)] = m - (scale * lo);
                    if (i == start)
                    {
                        references[b] = m;
                    }

                    // Row weights e^{m_i} relative to the block's first row: within e^±400 of 1 wherever
                    // the solver keeps these sums (it checks the range of the m_i).
                    PreciseExpOfScaledAdd(z, scale, m, CpuRows.Row(output, i), Math.Exp(m - references[b]), partial);
                }
            });

            // Blocks are combined in block order, each rescaled to e^{m_i − max m}.
            double top = TensorPrimitives.Max<double>(Doubles(rowMax));
            var result = Doubles(columnSums);
            result.Clear();
            for (int b = 0; b < blocks; b++)
            {
                TensorPrimitives.MultiplyAdd(partials.AsSpan(b * k, k), Math.Exp(references[b] - top), result, result);
            }

            return true;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partials);
        }
    }

    public void SwavColumnSums(Tensor e, Tensor rowWeights, Tensor columnSums, Tensor scratch) =>
        RowWeightedColumnSums(e, columnSums, (row, i) => Doubles(rowWeights)[checked((int)i)]);

    public void SwavRowStep(Tensor e, Tensor columnWeights, double rowTarget, Tensor rowWeights, Tensor? columnSums, Tensor scratch)
    {
        if (columnSums is not null)
        {
            RowWeightedColumnSums(e, columnSums, (row, i) => Step(row, i));
            return;
        }

        CpuRows.ForBlocks(e.Rows, e.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                Step(CpuRows.Row(e, i), i);
            }
        });

        double Step(ReadOnlySpan<float> row, long i)
        {
            double u = rowTarget / Dot(row, Doubles(columnWeights));
            Doubles(rowWeights)[checked((int)i)] = u;
            return u;
        }
    }

    public void SwavRowStepAndScale(Tensor e, Tensor columnWeights, double rowTarget, double factor) =>
        CpuRows.ForBlocks(e.Rows, e.Columns, (start, end) =>
        {
            var w = Doubles(columnWeights);
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(e, i + 2);
                var row = CpuRows.Row(e, i);
                ScaleInPlace(row, factor * (rowTarget / Dot(row, w)), w);
            }
        });

    public void SinkhornSelaLogR(Tensor columnSums, double offset, double smallestTrusted, Tensor logR, Tensor status)
    {
        var sums = Doubles(columnSums);
        var r = Doubles(logR);
        for (int j = 0; j < r.Length; j++)
        {
            double sum = sums[j];
            if (sum >= smallestTrusted && double.IsFinite(sum))
            {
                r[j] += offset - Math.Log(sum);
            }
            else
            {
                Doubles(status)[0] = 1;
            }
        }
    }

    public void SwavColumnWeights(Tensor columnSums, Tensor columnWeights)
    {
        var sums = Doubles(columnSums);
        var weights = Doubles(columnWeights);
        for (int j = 0; j < weights.Length; j++)
        {
            weights[j] = 1 / (weights.Length * sums[j]);
        }
    }

    public void SwavScale(Tensor e, Tensor rowWeights, Tensor columnWeights, double factor)
    {
        CpuRows.ForBlocks(e.Rows, e.Columns, (start, end) =>
        {
            var u = Doubles(rowWeights);
            var w = Doubles(columnWeights);
            for (long i = start; i < end; i++)
            {
                ScaleInPlace(CpuRows.Row(e, i), factor * u[checked((int)i)], w);
            }
        });
    }

    /// <summary>
    /// columnSums_k = Σ_i e_ik·weight(row i, i) over fixed row blocks whose partials are added in block
    /// order; <paramref name="weight"/> runs once per row, in row order within a block.
    /// </summary>
    private static void RowWeightedColumnSums(Tensor e, Tensor columnSums, Func<Span<float>, long, double> weight)
    {
        int k = checked((int)e.Columns);
        var (blocks, rowsPerBlock) = ReductionBlocks(e.Rows, k);
        var partials = ArrayPool<double>.Shared.Rent(blocks * k);
        try
        {
            ForReductionBlocks(e.Rows, blocks, rowsPerBlock, (b, start, end) =>
            {
                var partial = partials.AsSpan(b * k, k);
                partial.Clear();
                for (long i = start; i < end; i++)
                {
                    CpuPrefetch.Row(e, i + 2);
                    var row = CpuRows.Row(e, i);
                    AddScaled(row, weight(row, i), partial);
                }
            });

            var result = Doubles(columnSums);
            result.Clear();
            for (int b = 0; b < blocks; b++)
            {
                TensorPrimitives.Add(result, partials.AsSpan(b * k, k), result);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partials);
        }
    }

    /// <summary>v = −columnShift, or 0 without one: the per-column term the row passes add to scale·z.</summary>
    private static Span<double> NegatedShift(Tensor? columnShift, Span<double> v)
    {
        if (columnShift is null)
        {
            v.Clear();
        }
        else
        {
            TensorPrimitives.Negate(Doubles(columnShift), v);
        }

        return v;
    }

    /// <summary>Rows per tile of the column log-sum-exp: about 64 KB of float32, 4 to 32 rows.</summary>
    private static int TileRows(int columns) => Math.Clamp(16384 / Math.Max(1, columns), 4, 32);

    /// <summary>
    /// Folds a tile's column maxima into the running pairs: m ← max(m, tile), s ← s·exp(m_old − m_new),
    /// and leaves −m in <paramref name="negatedMax"/> for the tile's exponentials.
    /// </summary>
    private static void Rescale(Span<double> m, ReadOnlySpan<double> tileMax, Span<double> s, Span<double> negatedMax)
    {
        for (int j = 0; j < m.Length; j++)
        {
            double next = Math.Max(m[j], tileMax[j]);
            if (next > m[j])
            {
                s[j] = s[j] == 0 ? 0 : s[j] * Math.Exp(Math.Max(m[j] - next, MinRescaleExponent));
                m[j] = next;
            }

            negatedMax[j] = -m[j];
        }
    }

    /// <summary>Per-block rows rented from the pool: a float32 row for conversions, one for exponentials, a float64 one.</summary>
    private readonly struct RowScratch : IDisposable
    {
        private readonly float[] row;
        private readonly float[] exps;
        private readonly double[] doubles;
        private readonly int length;

        public RowScratch(int length)
        {
            this.length = length;
            row = ArrayPool<float>.Shared.Rent(length);
            exps = ArrayPool<float>.Shared.Rent(length);
            doubles = ArrayPool<double>.Shared.Rent(length);
        }

        public Span<float> Row => row.AsSpan(0, length);

        public Span<float> Exps => exps.AsSpan(0, length);

        public Span<double> Doubles => doubles.AsSpan(0, length);

        public void Dispose()
        {
            ArrayPool<float>.Shared.Return(row);
            ArrayPool<float>.Shared.Return(exps);
            ArrayPool<double>.Shared.Return(doubles);
        }
    }
}
