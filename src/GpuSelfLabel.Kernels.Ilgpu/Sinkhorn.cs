using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// ops.md sections 5 and 6 (Sinkhorn–Knopp, SeLa and SwAV forms): every kernel of kernels/sinkhorn.cu in
/// C#, with the same parameters in the same order (launched by GpuKernels.Sinkhorn.cs). Per-element
/// quantities are float64 and exponents are raised to −700 before exp, as in the CUDA C file. The SeLa
/// passes read z through its storage type (float32, float16 or bfloat16, the last argument) from a base
/// view and an element offset.
/// <list type="bullet">
/// <item><c>sinkhorn_row_lse(z, z_offset, rows, cols, scale, shift, shift_offset, has_shift, offset, out, out_offset, row_max, row_max_offset, has_row_max, dtype)</c>
/// one group per row; reads z twice per row (the CUDA C kernel keeps 12 columns per work-item in
/// registers and reads it once) and shift; writes out[i] = offset + LSE_k(scale·z_ik − shift_k), or with
/// has_row_max row_max[i] = m_i = max_k(scale·z_ik − shift_k) and out[i] = offset + ln Σ_k exp(… − m_i).</item>
/// <item><c>sinkhorn_column_lse_partial(z, z_offset, rows, cols, rows_per_group, scale, row_max, row_max_offset, has_row_max, shift, shift_offset, partial_max, partial_sum, dtype)</c>
/// group g takes rows [g·rows_per_group, …) and keeps per owned column the online pair (max, Σ exp(y −
/// max)) of y_ik = scale·(z_ik − row_max_i) − shift_i (row_max 0 without has_row_max); writes the pairs
/// to partial_max/partial_sum (groups × cols). No shared memory, no barriers.</item>
/// <item><c>sinkhorn_column_lse_reduce(partial_max, partial_sum, groups, cols, offset, out, out_offset, accumulate)</c>
/// merges the groups' pairs per column in a fixed order (32 adjacent columns per group, the partial rows
/// split among the group's "ways", combined in way order); writes out_k = offset + LSE, or with
/// accumulate ln(exp(out_k) + exp(that)).</item>
/// <item><c>sinkhorn_sela_pass(z, z_offset, rows, cols, rows_per_group, lambda, row_max, row_max_offset, logr, logr_offset, state, state_offset, partial, errors, measure_error, dtype)</c>
/// the fused SeLa iteration: group g takes a fixed block of rows; per row x = λ(z − m_i) + log r (m_i
/// the row's largest logit, so ties at any magnitude keep their O(1) terms), a = LSE_k x,
/// q = exp(x − a); reads z once (the next row's first 12 columns per work-item are loaded ahead, as in the
/// CUDA C kernel, into per-thread local arrays rather than registers), reads and writes state[i] (a_i),
/// writes the group's column sums Σ_i q_ik to its row of partial (groups × cols) and
/// Σ_i |exp(a_i − a_prev) − 1| to errors[g].</item>
/// <item><c>sinkhorn_column_sum_reduce(partial, groups, cols, out, out_offset, accumulate)</c> adds the
/// groups' column sums in the fixed order of the log-sum-exp reduction; out_k = that, or out_k + that.</item>
/// <item><c>sinkhorn_sela_log_r(sums, sums_offset, cols, offset, trusted, logr, logr_offset, status, status_offset)</c>
/// one work-item per column; where sums_k is finite and ≥ trusted, logr_k = logr_k + (offset − ln sums_k),
/// elsewhere logr_k is left and status[0] = 1.</item>
/// <item><c>sinkhorn_sela_finalize(z, z_offset, rows, cols, lambda, row_max, row_max_offset, logr, logr_offset, lse, lse_offset, state, state_offset, log_rows, logc, logc_offset, labels, labels_offset, codes, codes_offset, has_codes, dtype)</c>
/// one group per row; reads z; writes labels[i] (lowest argmax of x = λ(z − m_i) + log r, int64), logc[i] = lse_i −
/// state_i − log_rows (float32) and, with has_codes, codes = exp(x − state_i).</item>
/// <item><c>sinkhorn_exp_shifted(z, z_offset, rows, cols, scale, col_shift, col_shift_offset, has_col_shift, row_shift, row_shift_offset, offset, out, out_offset)</c>
/// one group per row; out_ik = exp(scale·z_ik − col_shift_k + (offset − row_shift_i)) (float32).</item>
/// <item><c>sinkhorn_add_bias(z, z_offset, rows, cols, bias, bias_offset)</c> one group per row; z_ik += bias_k in place.</item>
/// </list>
/// SwAV (ops.md section 6), float32 scores and codes e, float64 row and column weights:
/// <list type="bullet">
/// <item><c>swav_log_codes(z, z_offset, rows, cols, scale, col_shift, col_shift_offset, out, out_offset)</c>
/// one group per row; the log domain's last row normalisation and its output in one pass over the row:
/// y_ik = scale·z_ik − col_shift_k, out_ik = exp(y_ik − m_i) / Σ_k exp(y_ik − m_i), m_i = max_k y_ik.</item>
/// <item><c>swav_exp_rows(z, z_offset, rows, cols, scale, row_max, row_max_offset, row_spread, row_spread_offset, out, out_offset)</c>
/// one group per row; writes row_max[i] = max_k scale·z_ik, row_spread[i] = that − min_k (infinite for a
/// NaN score) and out_ik = exp(scale·z_ik − row_max_i).</item>
/// <item><c>swav_column_sums_partial(e, e_offset, rows, cols, rows_per_group, w, w_offset, partial)</c>
/// group g takes a fixed block of rows; writes partial[g][k] = Σ_i e_ik·w_i in row order (each work-item
/// walks its own columns down the block, as sinkhorn_column_lse_partial does here; the CUDA C kernel
/// holds 12 columns per work-item in registers instead, with the same order of additions).</item>
/// <item><c>swav_row_step(e, e_offset, rows, cols, rows_per_group, colw, colw_offset, target, roww, roww_offset, partial, has_columns)</c>
/// per row u_i = target / Σ_k e_ik·colw_k, written to roww[i]; with has_columns the group's Σ_i e_ik·u_i
/// to its row of partial, each column accumulated there by its owner (the CUDA C kernel keeps its first
/// 12 columns per work-item in registers).</item>
/// <item><c>swav_row_step_scale(e, e_offset, rows, cols, colw, colw_offset, target, factor)</c> one group per
/// row; u_i = factor·target / Σ_k e_ik·colw_k, then e_ik = e_ik·(u_i·colw_k) in place.</item>
/// <item><c>swav_scale(e, e_offset, rows, cols, roww, roww_offset, colw, colw_offset, factor)</c> one group per
/// row; e_ik = e_ik·(factor·roww_i·colw_k) in place.</item>
/// <item><c>swav_column_weights(sums, sums_offset, cols, colw, colw_offset)</c> one work-item per column;
/// colw_k = 1 / (cols·sums_k).</item>
/// </list>
/// </summary>
public static class Sinkhorn
{
    private const double MinExponent = -700.0;

    /// <summary>Columns per work-item kept on chip across a row (SK_CACHE of the CUDA C file).</summary>
    private const int Cache = 12;
    private const int ReduceLanes = 32;
    private const int Float32 = 0;
    private const int BFloat16 = 2;

    /// <summary>sinkhorn_row_lse of kernels/sinkhorn.cu.</summary>
    public static void RowLogSumExp(ArrayView<ushort> z, long zOffset, long rows, long cols, double scale, ArrayView<double> shift, long shiftOffset, int hasShift, double offset, ArrayView<double> output, long outputOffset, ArrayView<double> rowMax, long rowMaxOffset, int hasRowMax, int dtype)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = zOffset + (row * cols);
            double m = double.NegativeInfinity;
            for (long k = t; k < cols; k += step)
            {
                m = Math.Max(m, (scale * Load(z, start + k, dtype)) - (hasShift != 0 ? shift[shiftOffset + k] : 0.0));
            }

            m = GroupReduce.Max(scratch, m);
            double s = 0.0;
            for (long k = t; k < cols; k += step)
            {
                s += ClampedExp((scale * Load(z, start + k, dtype)) - (hasShift != 0 ? shift[shiftOffset + k] : 0.0) - m);
            }

            s = GroupReduce.Sum(scratch, s);
            if (t == 0)
            {
                if (hasRowMax != 0)
                {
                    rowMax[rowMaxOffset + row] = m;
                    output[outputOffset + row] = offset + KernelMath.Log(s);
                }
                else
                {
                    output[outputOffset + row] = offset + (m + KernelMath.Log(s));
                }
            }
        }
    }

    /// <summary>sinkhorn_column_lse_partial of kernels/sinkhorn.cu.</summary>
    public static void ColumnLogSumExpPartial(ArrayView<ushort> z, long zOffset, long rows, long cols, long rowsPerGroup, double scale, ArrayView<double> rowMax, long rowMaxOffset, int hasRowMax, ArrayView<double> shift, long shiftOffset, ArrayView<double> partialMax, ArrayView<double> partialSum, int dtype)
    {
        long group = Grid.IdxX;
        long start = group * rowsPerGroup;
        long end = Math.Min(start + rowsPerGroup, rows);
        for (long k = Group.IdxX; k < cols; k += Group.DimX)
        {
            double m = double.NegativeInfinity;
            double s = 0.0;
            for (long row = start; row < end; row++)
            {
                double origin = hasRowMax != 0 ? rowMax[rowMaxOffset + row] : 0.0;
                double y = (scale * (Load(z, zOffset + (row * cols) + k, dtype) - origin)) - shift[shiftOffset + row];
                if (y > m)
                {
                    s = (s * ClampedExp(m - y)) + 1.0;
                    m = y;
                }
                else
                {
                    s += ClampedExp(y - m);
                }
            }

            partialMax[(group * cols) + k] = m;
            partialSum[(group * cols) + k] = s;
        }
    }

    /// <summary>sinkhorn_column_lse_reduce of kernels/sinkhorn.cu.</summary>
    public static void ColumnLogSumExpReduce(ArrayView<double> partialMax, ArrayView<double> partialSum, long groups, long cols, double offset, ArrayView<double> output, long outputOffset, int accumulate)
    {
        var scratchMax = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var scratchSum = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int lanes = Math.Min(Group.DimX, ReduceLanes);
        int ways = Group.DimX / lanes;
        int lane = t % lanes;
        int way = t / lanes;
        for (long first = Grid.IdxX * (long)lanes; first < cols; first += Grid.DimX * (long)lanes)
        {
            long k = first + lane;
            double m = double.NegativeInfinity;
            double s = 0.0;
            if (k < cols)
            {
                for (long g = way; g < groups; g += ways)
                {
                    m = Math.Max(m, partialMax[(g * cols) + k]);
                }

                for (long g = way; g < groups; g += ways)
                {
                    // An empty row block is (−∞, 0); (−∞) − (−∞) would make its term NaN.
                    double pm = partialMax[(g * cols) + k];
                    if (pm != double.NegativeInfinity)
                    {
                        s += partialSum[(g * cols) + k] * KernelMath.Exp(pm - m);
                    }
                }
            }

            scratchMax[t] = m;
            scratchSum[t] = s;
            Group.Barrier();
            if (way == 0 && k < cols)
            {
                double top = double.NegativeInfinity;
                for (int w = 0; w < ways; w++)
                {
                    top = Math.Max(top, scratchMax[(w * lanes) + lane]);
                }

                double value = top;
                if (groups > 0)
                {
                    double total = 0.0;
                    for (int w = 0; w < ways; w++)
                    {
                        double wm = scratchMax[(w * lanes) + lane];
                        if (wm != double.NegativeInfinity)
                        {
                            total += scratchSum[(w * lanes) + lane] * KernelMath.Exp(wm - top);
                        }
                    }

                    value = offset + top + KernelMath.Log(total);
                }

                if (accumulate != 0)
                {
                    double a = output[outputOffset + k];
                    double both = Math.Max(a, value);
                    value = both == double.NegativeInfinity ? both : both + KernelMath.Log(KernelMath.Exp(a - both) + KernelMath.Exp(value - both));
                }

                output[outputOffset + k] = value;
            }

            Group.Barrier();
        }
    }

    /// <summary>sinkhorn_sela_pass of kernels/sinkhorn.cu.</summary>
    public static void SelaPass(ArrayView<ushort> z, long zOffset, long rows, long cols, long rowsPerGroup, double lambda, ArrayView<double> rowMax, long rowMaxOffset, ArrayView<double> logR, long logROffset, ArrayView<double> state, long stateOffset, ArrayView<double> partial, ArrayView<double> errors, int measureError, int dtype)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var ownLogR = LocalMemory.Allocate<double>(Cache);
        var ownSum = LocalMemory.Allocate<double>(Cache);
        var x = LocalMemory.Allocate<double>(Cache);
        var next = LocalMemory.Allocate<double>(Cache);
        int t = Group.IdxX;
        long step = Group.DimX;
        long cached = Cache * step;
        long group = Grid.IdxX;
        long start = group * rowsPerGroup;
        long end = Math.Min(start + rowsPerGroup, rows);
        long sums = group * cols;

        // As in the CUDA C kernel: the owned columns' log r and running sums stay on chip for the whole row
        // block; columns past the cache accumulate in this group's row of partial, touched by their owner only.
        for (int c = 0; c < Cache; c++)
        {
            long k = t + (c * step);
            ownLogR[c] = k < cols ? logR[logROffset + k] : 0.0;
            ownSum[c] = 0.0;
            next[c] = start < end && k < cols ? Load(z, zOffset + (start * cols) + k, dtype) : 0.0;
        }

        for (long k = cached + t; k < cols; k += step)
        {
            partial[sums + k] = 0.0;
        }

        double error = 0.0;
        for (long row = start; row < end; row++)
        {
            long zr = zOffset + (row * cols);
            double origin = rowMax[rowMaxOffset + row];
            for (int c = 0; c < Cache; c++)
            {
                x[c] = (lambda * (next[c] - origin)) + ownLogR[c];
            }

            if (row + 1 < end)
            {
                for (int c = 0; c < Cache; c++)
                {
                    long k = t + (c * step);
                    next[c] = k < cols ? Load(z, zr + cols + k, dtype) : 0.0;
                }
            }

            double m = double.NegativeInfinity;
            for (int c = 0; c < Cache; c++)
            {
                if (t + (c * step) < cols)
                {
                    m = Math.Max(m, x[c]);
                }
            }

            for (long k = cached + t; k < cols; k += step)
            {
                m = Math.Max(m, (lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k]);
            }

            m = GroupReduce.Max(scratch, m);
            double s = 0.0;
            for (int c = 0; c < Cache; c++)
            {
                if (t + (c * step) < cols)
                {
                    x[c] = ClampedExp(x[c] - m);
                    s += x[c];
                }
            }

            for (long k = cached + t; k < cols; k += step)
            {
                s += ClampedExp((lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k] - m);
            }

            s = GroupReduce.Sum(scratch, s);
            double inverse = 1.0 / s;
            for (int c = 0; c < Cache; c++)
            {
                if (t + (c * step) < cols)
                {
                    ownSum[c] += x[c] * inverse;
                }
            }

            for (long k = cached + t; k < cols; k += step)
            {
                partial[sums + k] += ClampedExp((lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k] - m) * inverse;
            }

            if (t == 0)
            {
                double a = m + KernelMath.Log(s);
                if (measureError != 0)
                {
                    error += Math.Abs(KernelMath.Exp(a - state[stateOffset + row]) - 1.0);
                }

                state[stateOffset + row] = a;
            }
        }

        for (int c = 0; c < Cache; c++)
        {
            long k = t + (c * step);
            if (k < cols)
            {
                partial[sums + k] = ownSum[c];
            }
        }

        if (t == 0)
        {
            errors[group] = error;
        }
    }

    /// <summary>sinkhorn_column_sum_reduce of kernels/sinkhorn.cu.</summary>
    public static void ColumnSumReduce(ArrayView<double> partial, long groups, long cols, ArrayView<double> output, long outputOffset, int accumulate)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int lanes = Math.Min(Group.DimX, ReduceLanes);
        int ways = Group.DimX / lanes;
        int lane = t % lanes;
        int way = t / lanes;
        for (long first = Grid.IdxX * (long)lanes; first < cols; first += Grid.DimX * (long)lanes)
        {
            long k = first + lane;
            double total = 0.0;
            if (k < cols)
            {
                for (long g = way; g < groups; g += ways)
                {
                    total += partial[(g * cols) + k];
                }
            }

            scratch[t] = total;
            Group.Barrier();
            if (way == 0 && k < cols)
            {
                total = accumulate != 0 ? output[outputOffset + k] : 0.0;
                for (int w = 0; w < ways; w++)
                {
                    total += scratch[(w * lanes) + lane];
                }

                output[outputOffset + k] = total;
            }

            Group.Barrier();
        }
    }

    /// <summary>sinkhorn_sela_log_r of kernels/sinkhorn.cu.</summary>
    public static void SelaLogR(ArrayView<double> sums, long sumsOffset, long cols, double offset, double trusted, ArrayView<double> logR, long logROffset, ArrayView<double> status, long statusOffset)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long k = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; k < cols; k += stride)
        {
            double sum = sums[sumsOffset + k];

            // Written so that a NaN sum fails the test too.
            if (sum >= trusted && sum <= double.MaxValue)
            {
                logR[logROffset + k] = logR[logROffset + k] + (offset - KernelMath.Log(sum));
            }
            else
            {
                status[statusOffset] = 1.0;
            }
        }
    }

    /// <summary>sinkhorn_sela_finalize of kernels/sinkhorn.cu.</summary>
    public static void SelaFinalize(ArrayView<ushort> z, long zOffset, long rows, long cols, double lambda, ArrayView<double> rowMax, long rowMaxOffset, ArrayView<double> logR, long logROffset, ArrayView<double> lse, long lseOffset, ArrayView<double> state, long stateOffset, double logRows, ArrayView<float> logC, long logCOffset, ArrayView<long> labels, long labelsOffset, ArrayView<float> codes, long codesOffset, int hasCodes, int dtype)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var ownLogR = LocalMemory.Allocate<double>(Cache);
        var x = LocalMemory.Allocate<double>(Cache);
        int t = Group.IdxX;
        long step = Group.DimX;
        long cached = Cache * step;
        for (int c = 0; c < Cache; c++)
        {
            long k = t + (c * step);
            ownLogR[c] = k < cols ? logR[logROffset + k] : 0.0;
        }

        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long zr = zOffset + (row * cols);
            double origin = rowMax[rowMaxOffset + row];
            double m = double.NegativeInfinity;
            for (int c = 0; c < Cache; c++)
            {
                long k = t + (c * step);
                x[c] = 0.0;
                if (k < cols)
                {
                    x[c] = (lambda * (Load(z, zr + k, dtype) - origin)) + ownLogR[c];
                    m = Math.Max(m, x[c]);
                }
            }

            for (long k = cached + t; k < cols; k += step)
            {
                m = Math.Max(m, (lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k]);
            }

            m = GroupReduce.Max(scratch, m);

            // The lowest index holding the max, as −max(−k): indices are exact in a double.
            double first = -(double)cols;
            for (int c = 0; c < Cache; c++)
            {
                long k = t + (c * step);
                if (k < cols && x[c] == m)
                {
                    first = Math.Max(first, -(double)k);
                }
            }

            for (long k = cached + t; k < cols; k += step)
            {
                if ((lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k] == m)
                {
                    first = Math.Max(first, -(double)k);
                }
            }

            first = GroupReduce.Max(scratch, first);
            double a = state[stateOffset + row];
            if (t == 0)
            {
                // No match cannot happen for finite x; label 0 then, as the CPU backend's search does.
                labels[labelsOffset + row] = first == -(double)cols ? 0 : (long)(-first);
                logC[logCOffset + row] = (float)(lse[lseOffset + row] - a - logRows);
            }

            if (hasCodes != 0)
            {
                long q = codesOffset + (row * cols);
                for (int c = 0; c < Cache; c++)
                {
                    long k = t + (c * step);
                    if (k < cols)
                    {
                        codes[q + k] = (float)ClampedExp(x[c] - a);
                    }
                }

                for (long k = cached + t; k < cols; k += step)
                {
                    codes[q + k] = (float)ClampedExp((lambda * (Load(z, zr + k, dtype) - origin)) + logR[logROffset + k] - a);
                }
            }
        }
    }

    /// <summary>sinkhorn_exp_shifted of kernels/sinkhorn.cu.</summary>
    public static void ExpShifted(ArrayView<float> z, long zOffset, long rows, long cols, double scale, ArrayView<double> columnShift, long columnShiftOffset, int hasColumnShift, ArrayView<double> rowShift, long rowShiftOffset, double offset, ArrayView<float> output, long outputOffset)
    {
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            double rowTerm = offset - rowShift[rowShiftOffset + row];
            for (long k = Group.IdxX; k < cols; k += Group.DimX)
            {
                double v = scale * z[zOffset + start + k];
                if (hasColumnShift != 0)
                {
                    v -= columnShift[columnShiftOffset + k];
                }

                output[outputOffset + start + k] = (float)ClampedExp(v + rowTerm);
            }
        }
    }

    /// <summary>sinkhorn_add_bias of kernels/sinkhorn.cu.</summary>
    public static void AddBias(ArrayView<float> z, long zOffset, long rows, long cols, ArrayView<float> bias, long biasOffset)
    {
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = zOffset + (row * cols);
            for (long k = Group.IdxX; k < cols; k += Group.DimX)
            {
                z[start + k] += bias[biasOffset + k];
            }
        }
    }

    /// <summary>swav_log_codes of kernels/sinkhorn.cu.</summary>
    public static void SwavLogCodes(ArrayView<float> z, long zOffset, long rows, long cols, double scale, ArrayView<double> columnShift, long columnShiftOffset, ArrayView<float> output, long outputOffset)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            double m = double.NegativeInfinity;
            for (long k = t; k < cols; k += step)
            {
                m = FMax(m, (scale * z[zOffset + start + k]) - columnShift[columnShiftOffset + k]);
            }

            m = GroupReduce.Max(scratch, m);
            double s = 0.0;
            for (long k = t; k < cols; k += step)
            {
                s += ClampedExp((scale * z[zOffset + start + k]) - columnShift[columnShiftOffset + k] - m);
            }

            s = GroupReduce.Sum(scratch, s);
            double inverse = 1.0 / s;
            for (long k = t; k < cols; k += step)
            {
                output[outputOffset + start + k] = (float)(ClampedExp((scale * z[zOffset + start + k]) - columnShift[columnShiftOffset + k] - m) * inverse);
            }
        }
    }

    /// <summary>swav_exp_rows of kernels/sinkhorn.cu.</summary>
    public static void SwavExpRows(ArrayView<float> z, long zOffset, long rows, long cols, double scale, ArrayView<double> rowMax, long rowMaxOffset, ArrayView<double> rowSpread, long rowSpreadOffset, ArrayView<float> output, long outputOffset)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            double hi = double.NegativeInfinity;
            double lo = double.PositiveInfinity;
            for (long k = t; k < cols; k += step)
            {
                double x = scale * z[zOffset + start + k];
                hi = FMax(hi, x);

                // A NaN score makes the spread infinite, which the solver's finiteness screen sees.
                lo = Math.Min(lo, double.IsNaN(x) ? double.NegativeInfinity : x);
            }

            hi = GroupReduce.Max(scratch, hi);
            lo = -GroupReduce.Max(scratch, -lo);
            if (t == 0)
            {
                rowMax[rowMaxOffset + row] = hi;
                rowSpread[rowSpreadOffset + row] = hi - lo;
            }

            for (long k = t; k < cols; k += step)
            {
                output[outputOffset + start + k] = (float)ClampedExp((scale * z[zOffset + start + k]) - hi);
            }
        }
    }

    /// <summary>swav_column_sums_partial of kernels/sinkhorn.cu.</summary>
    public static void SwavColumnSumsPartial(ArrayView<float> e, long eOffset, long rows, long cols, long rowsPerGroup, ArrayView<double> w, long wOffset, ArrayView<double> partial)
    {
        long group = Grid.IdxX;
        long start = group * rowsPerGroup;
        long end = Math.Min(start + rowsPerGroup, rows);
        for (long k = Group.IdxX; k < cols; k += Group.DimX)
        {
            double s = 0.0;
            for (long row = start; row < end; row++)
            {
                s += e[eOffset + (row * cols) + k] * w[wOffset + row];
            }

            partial[(group * cols) + k] = s;
        }
    }

    /// <summary>swav_row_step of kernels/sinkhorn.cu.</summary>
    public static void SwavRowStep(ArrayView<float> e, long eOffset, long rows, long cols, long rowsPerGroup, ArrayView<double> columnWeights, long columnWeightsOffset, double target, ArrayView<double> rowWeights, long rowWeightsOffset, ArrayView<double> partial, int hasColumns)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        long group = Grid.IdxX;
        long start = group * rowsPerGroup;
        long end = Math.Min(start + rowsPerGroup, rows);
        long sums = group * cols;
        if (hasColumns != 0)
        {
            for (long k = t; k < cols; k += step)
            {
                partial[sums + k] = 0.0;
            }
        }

        for (long row = start; row < end; row++)
        {
            long er = eOffset + (row * cols);
            double u = target / WeightedRowSum(scratch, e, er, cols, columnWeights, columnWeightsOffset);
            if (t == 0)
            {
                rowWeights[rowWeightsOffset + row] = u;
            }

            if (hasColumns != 0)
            {
                for (long k = t; k < cols; k += step)
                {
                    partial[sums + k] += e[er + k] * u;
                }
            }
        }
    }

    /// <summary>swav_row_step_scale of kernels/sinkhorn.cu.</summary>
    public static void SwavRowStepAndScale(ArrayView<float> e, long eOffset, long rows, long cols, ArrayView<double> columnWeights, long columnWeightsOffset, double target, double factor)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long er = eOffset + (row * cols);
            double u = factor * (target / WeightedRowSum(scratch, e, er, cols, columnWeights, columnWeightsOffset));
            for (long k = t; k < cols; k += step)
            {
                e[er + k] = (float)(e[er + k] * (u * columnWeights[columnWeightsOffset + k]));
            }
        }
    }

    /// <summary>swav_scale of kernels/sinkhorn.cu.</summary>
    public static void SwavScale(ArrayView<float> e, long eOffset, long rows, long cols, ArrayView<double> rowWeights, long rowWeightsOffset, ArrayView<double> columnWeights, long columnWeightsOffset, double factor)
    {
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long er = eOffset + (row * cols);
            double u = factor * rowWeights[rowWeightsOffset + row];
            for (long k = Group.IdxX; k < cols; k += Group.DimX)
            {
                e[er + k] = (float)(e[er + k] * (u * columnWeights[columnWeightsOffset + k]));
            }
        }
    }

    /// <summary>swav_column_weights of kernels/sinkhorn.cu.</summary>
    public static void SwavColumnWeights(ArrayView<double> sums, long sumsOffset, long cols, ArrayView<double> columnWeights, long columnWeightsOffset)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long k = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; k < cols; k += stride)
        {
            columnWeights[columnWeightsOffset + k] = 1.0 / (cols * sums[sumsOffset + k]);
        }
    }

    /// <summary>
    /// Σ_k e_ik·colw_k of the row starting at element <paramref name="rowStart"/>, over the whole group
    /// (every work-item calls it and gets the sum): the SwAV row steps' denominator.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double WeightedRowSum(ArrayView<double> scratch, ArrayView<float> e, long rowStart, long cols, ArrayView<double> columnWeights, long columnWeightsOffset)
    {
        double dot = 0.0;
        for (long k = Group.IdxX; k < cols; k += Group.DimX)
        {
            dot += e[rowStart + k] * columnWeights[columnWeightsOffset + k];
        }

        return GroupReduce.Sum(scratch, dot);
    }

    /// <summary>fmax of the CUDA C file: a NaN operand is dropped (Math.Max would return it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FMax(double a, double b) => double.IsNaN(b) || a >= b ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ClampedExp(double d) => KernelMath.Exp(Math.Max(d, MinExponent));

    /// <summary>
    /// Element i of a matrix stored as dtype, as gsl_load of kernels/common/storage.h: the view has the
    /// smallest element type (float32 matrices are 4-byte aligned), bfloat16 the upper half of a float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Load(ArrayView<ushort> z, long i, int dtype)
    {
        if (dtype == Float32)
        {
            return z.Cast<float>()[i];
        }

        uint h = z[i];
        return dtype == BFloat16 ? Interop.IntAsFloat(h << 16) : HalfToFloat(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HalfToFloat(uint h)
    {
        uint sign = (h & 0x8000u) << 16;
        uint exponent = (h >> 10) & 0x1fu;
        uint mantissa = h & 0x3ffu;
        if (exponent == 0x1fu)
        {
            return Interop.IntAsFloat(sign | 0x7f800000u | (mantissa << 13));
        }

        if (exponent == 0u)
        {
            float v = mantissa * 5.9604644775390625e-8f;
            return sign != 0u ? -v : v;
        }

        return Interop.IntAsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    }
}
