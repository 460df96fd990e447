/* ops.md section 4 - the passes of the EM pseudo-label solver (IBackendKernels.PseudoLabels.cs).
 * sigma is N x K float32; the iterate Y is N x K float64 (the CPU's iterate type, so hundreds of
 * iterations stay within the float64 reference's contract); weights and column sums are K float64.
 *
 * Row kernels give each work-group a contiguous block of rows_per_group rows. The group is cut into
 * segments of `segment` work-items (a power of two, segment = min(group, next power of two >= K)),
 * each segment handling one row at a time, so small K still keeps every work-item busy. A work-item
 * owns the columns lane, lane + segment, ... of its rows and accumulates their column sums itself:
 * in registers (EM_REGISTER_COLUMNS of them) when K <= segment * EM_REGISTER_COLUMNS, else in the
 * group's own slice of column_partials (then segment == group size, so every column has exactly one
 * owner and the read-modify-write needs no synchronisation). Every sum has a fixed order that
 * depends only on the launch shape: no atomics.
 *
 * em_step_rows(probs, current, weights, next, column_partials, group_scalars, rows, cols,
 *              rows_per_group, segment, status, gated)
 *   one EM step (the whole matrix in one pass); with gated, no rows once status[0] != 0 (the solve
 *   converged at an earlier iteration, see em_track): next and the column sums stay as they are. Per row: d = sum sigma y and wy = sum w y (one
 *   segment reduction of the pair), then y' = (sigma y / d + w y) / (1 + wy) written to next (a row
 *   with d <= 0 is copied unchanged), with d' = sum sigma y' (a second segment reduction).
 *   Writes column_partials[group][k] = the group's sum of y'_k (groups x cols) and
 *   group_scalars[2 group] = the group's sum of -ln d', group_scalars[2 group + 1] = its max |y' - y|.
 * em_moments_rows(probs, labels32, labels64, labels_are_double, column_partials, group_scalars,
 *                 rows, cols, rows_per_group, segment)
 *   the same statistics of a given Y (float32 labels32 or float64 labels64, the other unused):
 *   column_partials[group][k] = the group's sum of y_k, group_scalars[2 group] = its sum of
 *   -ln(sigma . y), group_scalars[2 group + 1] = 0.
 * em_reduce_columns(column_partials, groups, cols, column_sums, status, gated)
 *   column_sums[k] = sum over groups in group order of column_partials[group][k] (one work-item per
 *   column); with gated, nothing once status[0] != 0.
 * em_track(group_scalars, groups, column_sums, prior, rows, cols, lambda, tolerance, iteration, slots,
 *          weights, track)
 *   one group: the driver's bookkeeping of a step, on the device, so that an iteration needs no host
 *   round trip; nothing once track[0] != 0. Writes the next weights w_k = lambda N u_k / s_k (0 for
 *   an empty column); with slot = iteration mod slots, track[1 + 2 slot] = F = (sum of -ln d')/N +
 *   lambda KL(u || s/N) (no KL term at lambda = 0) and track[2 + 2 slot] = the largest change (the
 *   group scalars added in group order, as the host did); track[0] = iteration + 1 once that change
 *   is below tolerance, which stops every later gated pass.
 * em_widen / em_narrow / em_copy_float / em_copy_double(source, destination, count)
 *   elementwise conversion of count values between float32 and float64 (or a plain copy). */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/reductions_f64.h"

/* Column sums a work-item keeps in registers; beyond segment * this many columns they live in global scratch. */
#define EM_REGISTER_COLUMNS 8

#define EM_DFMA(a, b, c) fma((a), (b), (c))

/* Sums a and b over each segment of `segment` work-items; every work-item of a segment gets its
 * segment's sums. scratch_a, scratch_b: LOCAL_SIZE() doubles each. Called by the whole group. */
DEVICE_INLINE void em_segment_sum2(LOCAL_PTR double* scratch_a, LOCAL_PTR double* scratch_b, double* a, double* b,
                                   int segment)
{
    int t = LOCAL_ID();
    int lane = t & (segment - 1);
#ifdef GSL_CUDA
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)
    {
        int width = segment < GSL_WARP_SIZE ? segment : GSL_WARP_SIZE;
        double x = *a;
        double y = *b;
        for (int offset = width / 2; offset > 0; offset >>= 1)
        {
            x += __shfl_xor_sync(GSL_FULL_MASK, x, offset);
            y += __shfl_xor_sync(GSL_FULL_MASK, y, offset);
        }
        if (segment > GSL_WARP_SIZE)
        {
            /* The segment's warps add their sums in warp order, the same sequence in every lane. */
            if ((t % GSL_WARP_SIZE) == 0)
            {
                scratch_a[t / GSL_WARP_SIZE] = x;
                scratch_b[t / GSL_WARP_SIZE] = y;
            }
            BARRIER();
            int first = (t - lane) / GSL_WARP_SIZE;
            x = 0.0;
            y = 0.0;
            for (int w = 0; w < segment / GSL_WARP_SIZE; w++)
            {
                x += scratch_a[first + w];
                y += scratch_b[first + w];
            }
            BARRIER();
        }
        *a = x;
        *b = y;
        return;
    }
#endif
    scratch_a[t] = *a;
    scratch_b[t] = *b;
    BARRIER();
    for (int s = segment / 2; s > 0; s >>= 1)
    {
        if (lane < s)
        {
            scratch_a[t] += scratch_a[t + s];
            scratch_b[t] += scratch_b[t + s];
        }
        BARRIER();
    }
    *a = scratch_a[t - lane];
    *b = scratch_b[t - lane];
    BARRIER();
}

/* Adds v over the segments of the group, column by column: the sum of scratch[lane + q segment] over
 * segments q, in a fixed tree. Returns the total to the work-items of segment 0 (others: partial). */
DEVICE_INLINE double em_across_segments(LOCAL_PTR double* scratch, double v, int segment)
{
    int t = LOCAL_ID();
    int q = t / segment;
    scratch[t] = v;
    BARRIER();
    for (int s = LOCAL_SIZE() / segment / 2; s > 0; s >>= 1)
    {
        if (q < s)
        {
            scratch[t] += scratch[t + s * segment];
        }
        BARRIER();
    }
    v = scratch[t];
    BARRIER();
    return v;
}

/* Writes the group's column partials kept in registers (acc[j] holds column lane + j segment) and
 * its two scalars. Called by the whole group. */
DEVICE_INLINE void em_finish_group(LOCAL_PTR double* scratch_a, LOCAL_PTR double* scratch_b, double* acc,
                                   int in_registers, double negative_log, double max_change,
                                   GLOBAL double* partial, GLOBAL double* group_scalars, GSL_INDEX cols, int segment)
{
    int t = LOCAL_ID();
    int lane = t & (segment - 1);
    /* A fixed trip count with unconditional barriers: some OpenCL compilers (PoCL) mishandle a barrier
     * under a branch even when the branch is uniform, and constant indices keep acc in registers. */
    for (int j = 0; j < EM_REGISTER_COLUMNS; j++)
    {
        double total = em_across_segments(scratch_a, acc[j], segment);
        GSL_INDEX k = lane + (GSL_INDEX)j * segment;
        if (in_registers && t < segment && k < cols)
        {
            partial[k] = total;
        }
    }
    /* Only lane 0 of each segment holds a sum of -ln; the others hold 0. */
    double none = 0.0;
    em_segment_sum2(scratch_a, scratch_b, &negative_log, &none, LOCAL_SIZE());
    max_change = gsl_block_max_f64(scratch_b, max_change);
    if (t == 0)
    {
        group_scalars[2 * GROUP_ID()] = negative_log;
        group_scalars[2 * GROUP_ID() + 1] = max_change;
    }
}

/* One column of one row of the EM step: writes y', adds sigma y' to *dot and raises *max_change. */
DEVICE_INLINE double em_update(const GLOBAL float* sr, const GLOBAL double* yr, const GLOBAL double* weights,
                               GLOBAL double* nr, GSL_INDEX k, double d, double denominator, double* dot,
                               double* max_change)
{
    double y = yr[k];
    double sigma = (double)sr[k];
    /* sigma y / d is at most 1 however small d is; y = 0 stays exactly 0. */
    double v = d > 0.0 ? EM_DFMA(weights[k], y, sigma * y / d) / denominator : y;
    nr[k] = v;
    *dot += sigma * v;
    *max_change = DFMAX(*max_change, DFABS(v - y));
    return v;
}

KERNEL void em_step_rows(const GLOBAL float* RESTRICT probs, const GLOBAL double* RESTRICT current,
                         const GLOBAL double* RESTRICT weights, GLOBAL double* RESTRICT next,
                         GLOBAL double* RESTRICT column_partials, GLOBAL double* RESTRICT group_scalars,
                         GSL_INDEX rows, GSL_INDEX cols, GSL_INDEX rows_per_group, int segment,
                         const GLOBAL double* RESTRICT status, int gated)
{
    LOCAL double scratch_a[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_b[GSL_MAX_LOCAL_SIZE];
    int t = LOCAL_ID();
    int lane = t & (segment - 1);
    int segments = LOCAL_SIZE() / segment;
    GSL_INDEX first = GROUP_ID() * rows_per_group;
    GSL_INDEX last = first + rows_per_group < rows ? first + rows_per_group : rows;
    /* A stopped solve takes no rows (next is left as it is; the partials it writes are not read again).
     * Not a return: PoCL's work-group loops hang when a group returns before its barriers. */
    if (gated && status[0] != 0.0)
    {
        last = first;
    }
    GLOBAL double* partial = column_partials + GROUP_ID() * cols;
    int in_registers = cols <= (GSL_INDEX)segment * EM_REGISTER_COLUMNS;
    double acc[EM_REGISTER_COLUMNS];
    for (int j = 0; j < EM_REGISTER_COLUMNS; j++)
    {
        acc[j] = 0.0;
    }
    if (!in_registers)
    {
        for (GSL_INDEX k = t; k < cols; k += LOCAL_SIZE())
        {
            partial[k] = 0.0;
        }
    }
    double negative_log = 0.0;
    double max_change = 0.0;
    for (GSL_INDEX base = first; base < last; base += segments)
    {
        GSL_INDEX row = base + t / segment;
        int active = row < last;
        const GLOBAL float* sr = probs + row * cols;
        const GLOBAL double* yr = current + row * cols;
        GLOBAL double* nr = next + row * cols;
        double d = 0.0;
        double wy = 0.0;
        if (active)
        {
            for (GSL_INDEX k = lane; k < cols; k += segment)
            {
                double y = yr[k];
                d += (double)sr[k] * y;
                wy += weights[k] * y;
            }
        }
        em_segment_sum2(scratch_a, scratch_b, &d, &wy, segment);
        double denominator = 1.0 + wy;
        double dot = 0.0;
        if (active)
        {
            if (in_registers)
            {
                for (int j = 0; j < EM_REGISTER_COLUMNS; j++)
                {
                    GSL_INDEX k = lane + (GSL_INDEX)j * segment;
                    if (k < cols)
                    {
                        acc[j] += em_update(sr, yr, weights, nr, k, d, denominator, &dot, &max_change);
                    }
                }
            }
            else
            {
                for (GSL_INDEX k = lane; k < cols; k += segment)
                {
                    partial[k] += em_update(sr, yr, weights, nr, k, d, denominator, &dot, &max_change);
                }
            }
        }
        double none = 0.0;
        em_segment_sum2(scratch_a, scratch_b, &dot, &none, segment);
        if (active && lane == 0)
        {
            negative_log -= DLOG(dot);
        }
    }
    em_finish_group(scratch_a, scratch_b, acc, in_registers, negative_log, max_change, partial, group_scalars, cols,
                    segment);
}

KERNEL void em_moments_rows(const GLOBAL float* RESTRICT probs, const GLOBAL float* labels32,
                            const GLOBAL double* labels64, int labels_are_double,
                            GLOBAL double* RESTRICT column_partials, GLOBAL double* RESTRICT group_scalars,
                            GSL_INDEX rows, GSL_INDEX cols, GSL_INDEX rows_per_group, int segment)
{
    LOCAL double scratch_a[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_b[GSL_MAX_LOCAL_SIZE];
    int t = LOCAL_ID();
    int lane = t & (segment - 1);
    int segments = LOCAL_SIZE() / segment;
    GSL_INDEX first = GROUP_ID() * rows_per_group;
    GSL_INDEX last = first + rows_per_group < rows ? first + rows_per_group : rows;
    GLOBAL double* partial = column_partials + GROUP_ID() * cols;
    int in_registers = cols <= (GSL_INDEX)segment * EM_REGISTER_COLUMNS;
    double acc[EM_REGISTER_COLUMNS];
    for (int j = 0; j < EM_REGISTER_COLUMNS; j++)
    {
        acc[j] = 0.0;
    }
    if (!in_registers)
    {
        for (GSL_INDEX k = t; k < cols; k += LOCAL_SIZE())
        {
            partial[k] = 0.0;
        }
    }
    double negative_log = 0.0;
    for (GSL_INDEX base = first; base < last; base += segments)
    {
        GSL_INDEX row = base + t / segment;
        int active = row < last;
        const GLOBAL float* sr = probs + row * cols;
        double dot = 0.0;
        if (active)
        {
            if (in_registers)
            {
                for (int j = 0; j < EM_REGISTER_COLUMNS; j++)
                {
                    GSL_INDEX k = lane + (GSL_INDEX)j * segment;
                    if (k < cols)
                    {
                        double y = labels_are_double ? labels64[row * cols + k] : (double)labels32[row * cols + k];
                        dot += (double)sr[k] * y;
                        acc[j] += y;
                    }
                }
            }
            else
            {
                for (GSL_INDEX k = lane; k < cols; k += segment)
                {
                    double y = labels_are_double ? labels64[row * cols + k] : (double)labels32[row * cols + k];
                    dot += (double)sr[k] * y;
                    partial[k] += y;
                }
            }
        }
        double none = 0.0;
        em_segment_sum2(scratch_a, scratch_b, &dot, &none, segment);
        if (active && lane == 0)
        {
            negative_log -= DLOG(dot);
        }
    }
    em_finish_group(scratch_a, scratch_b, acc, in_registers, negative_log, 0.0, partial, group_scalars, cols, segment);
}

KERNEL void em_reduce_columns(const GLOBAL double* RESTRICT column_partials, GSL_INDEX groups, GSL_INDEX cols,
                              GLOBAL double* RESTRICT column_sums, const GLOBAL double* RESTRICT status, int gated)
{
    if (gated && status[0] != 0.0)
    {
        return;
    }
    for (GSL_INDEX k = GLOBAL_ID(); k < cols; k += GLOBAL_SIZE())
    {
        double sum = 0.0;
        for (GSL_INDEX g = 0; g < groups; g++)
        {
            sum += column_partials[g * cols + k];
        }
        column_sums[k] = sum;
    }
}

KERNEL void em_track(const GLOBAL double* RESTRICT group_scalars, GSL_INDEX groups,
                     const GLOBAL double* RESTRICT column_sums, const GLOBAL double* RESTRICT prior, GSL_INDEX rows,
                     GSL_INDEX cols, double lambda, double tolerance, GSL_INDEX iteration, GSL_INDEX slots,
                     GLOBAL double* RESTRICT weights, GLOBAL double* RESTRICT track)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    /* Read by every work-item before the reduction's first barrier, written after it: no race. A
     * stopped solve writes nothing, but still meets every barrier (see em_step_rows). */
    int live = track[0] == 0.0;
    double n = (double)rows;
    double divergence = 0.0;
    for (GSL_INDEX k = LOCAL_ID(); live && k < cols; k += LOCAL_SIZE())
    {
        double s = column_sums[k];
        double u = prior[k];
        weights[k] = s > 0.0 ? lambda * n * u / s : 0.0;
        divergence += u * DLOG(u * n / s);
    }
    divergence = gsl_block_sum_f64(scratch, divergence);
    if (live && LOCAL_ID() == 0)
    {
        double negative_log = 0.0;
        double max_change = 0.0;
        for (GSL_INDEX g = 0; g < groups; g++)
        {
            negative_log += group_scalars[2 * g];
            max_change = DFMAX(max_change, group_scalars[2 * g + 1]);
        }
        double value = negative_log / n;
        GSL_INDEX slot = iteration % slots;
        /* lambda = 0 drops the fairness term: 0 times an infinite KL (an empty column) must not give NaN. */
        track[1 + 2 * slot] = lambda == 0.0 ? value : value + lambda * divergence;
        track[2 + 2 * slot] = max_change;
        if (max_change < tolerance)
        {
            track[0] = (double)(iteration + 1);
        }
    }
}

KERNEL void em_widen(const GLOBAL float* RESTRICT source, GLOBAL double* RESTRICT destination, GSL_INDEX count)
{
    for (GSL_INDEX i = GLOBAL_ID(); i < count; i += GLOBAL_SIZE())
    {
        destination[i] = (double)source[i];
    }
}

KERNEL void em_narrow(const GLOBAL double* RESTRICT source, GLOBAL float* RESTRICT destination, GSL_INDEX count)
{
    for (GSL_INDEX i = GLOBAL_ID(); i < count; i += GLOBAL_SIZE())
    {
        destination[i] = (float)source[i];
    }
}

KERNEL void em_copy_float(const GLOBAL float* RESTRICT source, GLOBAL float* RESTRICT destination, GSL_INDEX count)
{
    for (GSL_INDEX i = GLOBAL_ID(); i < count; i += GLOBAL_SIZE())
    {
        destination[i] = source[i];
    }
}

KERNEL void em_copy_double(const GLOBAL double* RESTRICT source, GLOBAL double* RESTRICT destination, GSL_INDEX count)
{
    for (GSL_INDEX i = GLOBAL_ID(); i < count; i += GLOBAL_SIZE())
    {
        destination[i] = source[i];
    }
}
