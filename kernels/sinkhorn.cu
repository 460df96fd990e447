/* ops.md section 5 (Sinkhorn-Knopp, SeLa form, batched over heads by the driver) and section 6 (SwAV
 * form): the passes of IBackendKernels.Sinkhorn.cs over a row-major float32 matrix z (rows x cols).
 *
 * Every per-element quantity is float64: x = lambda*z + log r reaches thousands for extreme logits and
 * its exponentials must keep about 1e-7 relative accuracy for log r and log c to stay within 1e-6 of a
 * float64 evaluation. Exponents are raised to SK_MIN_EXPONENT before exp, as the CPU backend does:
 * e^-700 is nothing beside the terms >= 1 every sum here contains.
 *
 * The SeLa passes (sinkhorn_row_lse, sinkhorn_column_lse_partial, sinkhorn_sela_pass,
 * sinkhorn_sela_finalize) read z stored as float32, float16 or bfloat16, as their last argument dtype
 * says (GSL_FLOAT32, GSL_FLOAT16, GSL_BFLOAT16); z's element offset counts elements of that type.
 *
 * Every tensor is passed as (base pointer, element offset), never as a pointer into the middle of a
 * buffer: head views and row chunks start anywhere, and OpenCL sub-buffers must start on the device's
 * base-address alignment. Offsets of N-vectors already include the chunk's first row.
 *
 * The SeLa passes take each row's largest logit m_i (row_max, written by sinkhorn_row_lse at setup) and
 * form lambda*(z - m_i) rather than lambda*z, as ops.md's P = exp(lambda(z - LSE z)) does: z - m_i is
 * exact and 0 for every entry tied with the maximum, so a row of logits near 1e15 keeps the O(1) terms
 * (log r, the log of the tie count) that split its tied entries.
 *
 * Work-item t of a group owns the columns k = t + c*LOCAL_SIZE(). The first SK_CACHE of them
 * (c < SK_CACHE) keep their values in registers, so a row is read from global memory once; columns
 * beyond SK_CACHE*LOCAL_SIZE() (K > 3072 with groups of 256) are read again from global memory.
 *
 * sinkhorn_row_lse(z, rows, cols, scale, shift, has_shift, offset, out, row_max, has_row_max)
 *   one group per row (grid-stride); reads z once and shift (K doubles) once per group;
 *   writes out[i] = offset + LSE_k(scale*z_ik - shift_k) (N doubles), or with has_row_max the two
 *   parts apart: row_max[i] = m_i = max_k(scale*z_ik - shift_k), out[i] = offset + log sum_k exp(... - m_i).
 * sinkhorn_column_lse_partial(z, rows, cols, rows_per_group, scale, row_max, has_row_max, shift,
 *                             partial_max, partial_sum)
 *   group g takes rows [g*rows_per_group, ...) and keeps per owned column the online pair
 *   (max, sum exp(y - max)) of y_ik = scale*(z_ik - row_max_i) - shift_i (row_max 0 without
 *   has_row_max); reads z once, writes the pairs to partial_max/partial_sum (groups x cols doubles).
 *   No local memory, no barriers.
 * sinkhorn_column_lse_reduce(partial_max, partial_sum, groups, cols, offset, out, accumulate)
 *   merges the groups' pairs per column in a fixed order (see sk_reduce_lanes); writes
 *   out_k = offset + LSE, or with accumulate log(exp(out_k) + exp(that)).
 * sinkhorn_sela_pass(z, rows, cols, rows_per_group, lambda, row_max, logr, state, partial, errors, measure_error)
 *   the fused SeLa iteration: group g takes a fixed block of rows; per row x = lambda*(z - m_i) + log r,
 *   a = LSE_k x, q = exp(x - a); reads z once, reads and writes state[i] (a_i), accumulates the
 *   group's column sums sum_i q_ik in float64 (registers, or partial itself beyond the cache) and
 *   writes them to partial (groups x cols doubles), and the group's sum_i |exp(a_i - a_prev) - 1| to
 *   errors[g].
 * sinkhorn_column_sum_reduce(partial, groups, cols, out, accumulate)
 *   adds the groups' partials per column in a fixed order (see sk_reduce_lanes) to 0 or, with
 *   accumulate, to out_k.
 * sinkhorn_sela_log_r(sums, cols, offset, trusted, logr, status)
 *   the next r on the device, so a SeLa iteration needs no host round trip: where sums_k is a
 *   trusted column sum (finite and >= trusted, 1e-290 in the driver: below it digits were lost to
 *   subnormals), logr_k = logr_k + (offset - log sums_k); elsewhere logr_k is left and status[0] = 1
 *   (the driver then takes r from a column log-sum-exp pass instead). status is never cleared here.
 * sinkhorn_sela_finalize(z, rows, cols, lambda, row_max, logr, lse, state, log_rows, logc, labels, codes, has_codes)
 *   one group per row; reads z once; writes labels[i] (lowest argmax of x = lambda*(z - m_i) + log r, int64),
 *   logc[i] = lse_i - state_i - log_rows (float32) and, with has_codes, codes = exp(x - state_i).
 * sinkhorn_exp_shifted(z, rows, cols, scale, col_shift, has_col_shift, row_shift, offset, out)
 *   one group per row; out_ik = exp(scale*z_ik - col_shift_k + (offset - row_shift_i)) (float32).
 * swav_log_codes(z, rows, cols, scale, col_shift, out)
 *   one group per row; the SwAV log domain's last row normalisation and its output in one read of z:
 *   y_ik = scale*z_ik - col_shift_k, out_ik = exp(y_ik - m_i) / sum_k exp(y_ik - m_i), m_i = max_k y_ik.
 *   The row's own maximum and sum normalise it, so every row sums to 1 even where |y| ~ 1e31 leaves a
 *   float64 row shift no room for the O(1) terms (two tied scores of 1e30 each get 1/2).
 *
 * sinkhorn_add_bias(z, rows, cols, bias)
 *   one group per row; z_ik += bias_k in place (float32): the classifier bias on a chunk of scores
 *   recomputed from features.
 *
 * SwAV in the linear domain (the driver's path when every row of S/eps spans at most 80):
 * swav_exp_rows(z, rows, cols, scale, row_max, row_spread, out)
 *   one group per row; m = max_k scale*z_ik, writes row_max[i] = m, row_spread[i] = m - min_k
 *   scale*z_ik (doubles) and out_ik = exp(scale*z_ik - m) (float64 exp, float32 result); a NaN
 *   score makes the spread infinite (the solver's finiteness screen).
 * swav_column_sums_partial(e, rows, cols, rows_per_group, w, partial)
 *   group g takes a fixed block of rows; writes partial[g][k] = sum_i e_ik * w_i (doubles), reduced by
 *   sinkhorn_column_sum_reduce.
 * swav_row_step(e, rows, cols, rows_per_group, colw, target, roww, partial, has_columns)
 *   per row u_i = target / sum_k e_ik colw_k, written to roww[i]; with has_columns the group's
 *   sum_i e_ik u_i to partial (reduced by sinkhorn_column_sum_reduce). Reads e once.
 * swav_row_step_scale(e, rows, cols, colw, target, factor)
 *   one group per row; u_i = factor * target / sum_k e_ik colw_k, then e_ik = (float)(e_ik * (u_i *
 *   colw_k)) in place: the last row normalisation and the final scaling in one read of e.
 * swav_scale(e, rows, cols, roww, colw, factor)
 *   one group per row; e_ik = (float)(e_ik * (factor * roww_i * colw_k)) in place.
 * swav_column_weights(sums, cols, colw)
 *   colw_k = 1 / (cols * sums_k): the column step on the device, so an iteration needs no host round
 *   trip. */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/reductions_f64.h"
#include "common/storage.h"

/* Owned columns per work-item held in registers: 12 x 256 covers K = 3000 in one read of each row. */
#define SK_CACHE 12
#define SK_MIN_EXPONENT (-700.0)

/* A finite float64 is at most this: the test that also fails for NaN and infinity. */
#define SK_LARGEST_DOUBLE 1.7976931348623157e308

DEVICE_INLINE double sk_exp(double d)
{
    return DEXP(DFMAX(d, SK_MIN_EXPONENT));
}

/* The column reductions give each group SK_REDUCE_LANES adjacent columns (coalesced reads of every
 * group's partial row) and split the partial rows among the LOCAL_SIZE()/lanes "ways" of work-items,
 * whose results are then combined in way order: a fixed order for a given group size. */
#define SK_REDUCE_LANES 32

DEVICE_INLINE int sk_reduce_lanes(void)
{
    return LOCAL_SIZE() < SK_REDUCE_LANES ? LOCAL_SIZE() : SK_REDUCE_LANES;
}

KERNEL void sinkhorn_row_lse(const GLOBAL unsigned short* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                             double scale, const GLOBAL double* RESTRICT shift_base, GSL_INDEX shift_offset,
                             int has_shift, double offset, GLOBAL double* RESTRICT out_base, GSL_INDEX out_offset,
                             GLOBAL double* RESTRICT max_base, GSL_INDEX max_offset, int has_row_max, int dtype)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL double* shift = shift_base + shift_offset;
    GLOBAL double* out = out_base + out_offset;
    GLOBAL double* row_max = max_base + max_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX cached = SK_CACHE * step;
    double own_shift[SK_CACHE];
#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        own_shift[c] = has_shift && k < cols ? shift[k] : 0.0;
    }

    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GSL_INDEX zr = z_offset + row * cols;
        double x[SK_CACHE];
        double m = -(double)GSL_INFINITY;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = t + c * step;
            x[c] = 0.0;
            if (k < cols)
            {
                x[c] = scale * (double)gsl_load(z_base, zr + k, dtype) - own_shift[c];
                m = DFMAX(m, x[c]);
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            m = DFMAX(m, scale * (double)gsl_load(z_base, zr + k, dtype) - (has_shift ? shift[k] : 0.0));
        }
        m = gsl_block_max_f64(scratch, m);

        double s = 0.0;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            if (t + c * step < cols)
            {
                s += sk_exp(x[c] - m);
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            s += sk_exp(scale * (double)gsl_load(z_base, zr + k, dtype) - (has_shift ? shift[k] : 0.0) - m);
        }
        s = gsl_block_sum_f64(scratch, s);
        if (t == 0)
        {
            if (has_row_max)
            {
                row_max[row] = m;
                out[row] = offset + DLOG(s);
            }
            else
            {
                out[row] = offset + (m + DLOG(s));
            }
        }
    }
}

KERNEL void sinkhorn_column_lse_partial(const GLOBAL unsigned short* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows,
                                        GSL_INDEX cols, GSL_INDEX rows_per_group, double scale,
                                        const GLOBAL double* RESTRICT max_base, GSL_INDEX max_offset, int has_row_max,
                                        const GLOBAL double* RESTRICT shift_base, GSL_INDEX shift_offset,
                                        GLOBAL double* RESTRICT partial_max, GLOBAL double* RESTRICT partial_sum, int dtype)
{
    const GLOBAL double* row_max = max_base + max_offset;
    const GLOBAL double* shift = shift_base + shift_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX group = GROUP_ID();
    GSL_INDEX start = group * rows_per_group;
    GSL_INDEX end = start + rows_per_group < rows ? start + rows_per_group : rows;

    /* Column chunks of SK_CACHE*LOCAL_SIZE(), each over all the group's rows: with no coupling along a
     * row, every element is still read once, and each chunk's pairs live in registers. */
    for (GSL_INDEX chunk = 0; chunk < cols; chunk += SK_CACHE * step)
    {
        double m[SK_CACHE];
        double s[SK_CACHE];
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            m[c] = -(double)GSL_INFINITY;
            s[c] = 0.0;
        }
        for (GSL_INDEX row = start; row < end; row++)
        {
            GSL_INDEX zr = z_offset + row * cols + chunk;
            double row_shift = shift[row];
            double origin = has_row_max ? row_max[row] : 0.0;
#pragma unroll
            for (int c = 0; c < SK_CACHE; c++)
            {
                GSL_INDEX j = t + c * step;
                if (chunk + j < cols)
                {
                    double y = scale * ((double)gsl_load(z_base, zr + j, dtype) - origin) - row_shift;
                    if (y > m[c])
                    {
                        s[c] = s[c] * sk_exp(m[c] - y) + 1.0;
                        m[c] = y;
                    }
                    else
                    {
                        s[c] += sk_exp(y - m[c]);
                    }
                }
            }
        }
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = chunk + t + c * step;
            if (k < cols)
            {
                partial_max[group * cols + k] = m[c];
                partial_sum[group * cols + k] = s[c];
            }
        }
    }
}

KERNEL void sinkhorn_column_lse_reduce(const GLOBAL double* RESTRICT partial_max, const GLOBAL double* RESTRICT partial_sum,
                                       GSL_INDEX groups, GSL_INDEX cols, double offset,
                                       GLOBAL double* RESTRICT out_base, GSL_INDEX out_offset, int accumulate)
{
    LOCAL double scratch_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_sum[GSL_MAX_LOCAL_SIZE];
    GLOBAL double* out = out_base + out_offset;
    int t = LOCAL_ID();
    int lanes = sk_reduce_lanes();
    int ways = LOCAL_SIZE() / lanes;
    int lane = t % lanes;
    int way = t / lanes;
    for (GSL_INDEX first = GROUP_ID() * lanes; first < cols; first += NUM_GROUPS() * lanes)
    {
        GSL_INDEX k = first + lane;
        double m = -(double)GSL_INFINITY;
        double s = 0.0;
        if (k < cols)
        {
            for (GSL_INDEX g = way; g < groups; g += ways)
            {
                m = DFMAX(m, partial_max[g * cols + k]);
            }
            for (GSL_INDEX g = way; g < groups; g += ways)
            {
                /* An empty row block is (-inf, 0); (-inf) - (-inf) would make its term NaN. */
                double pm = partial_max[g * cols + k];
                if (pm != -(double)GSL_INFINITY)
                {
                    s += partial_sum[g * cols + k] * DEXP(pm - m);
                }
            }
        }
        scratch_max[t] = m;
        scratch_sum[t] = s;
        BARRIER();
        if (way == 0 && k < cols)
        {
            double top = -(double)GSL_INFINITY;
            for (int w = 0; w < ways; w++)
            {
                top = DFMAX(top, scratch_max[w * lanes + lane]);
            }
            double value = top;
            if (groups > 0)
            {
                double total = 0.0;
                for (int w = 0; w < ways; w++)
                {
                    double wm = scratch_max[w * lanes + lane];
                    if (wm != -(double)GSL_INFINITY)
                    {
                        total += scratch_sum[w * lanes + lane] * DEXP(wm - top);
                    }
                }
                value = offset + top + DLOG(total);
            }
            if (accumulate)
            {
                double a = out[k];
                double both = DFMAX(a, value);
                value = both == -(double)GSL_INFINITY ? both : both + DLOG(DEXP(a - both) + DEXP(value - both));
            }
            out[k] = value;
        }
        BARRIER();
    }
}

KERNEL void sinkhorn_sela_pass(const GLOBAL unsigned short* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                               GSL_INDEX rows_per_group, double lambda, const GLOBAL double* RESTRICT max_base,
                               GSL_INDEX max_offset, const GLOBAL double* RESTRICT logr_base,
                               GSL_INDEX logr_offset, GLOBAL double* RESTRICT state_base, GSL_INDEX state_offset,
                               GLOBAL double* RESTRICT partial, GLOBAL double* RESTRICT errors, int measure_error, int dtype)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL double* row_max = max_base + max_offset;
    const GLOBAL double* logr = logr_base + logr_offset;
    GLOBAL double* state = state_base + state_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX cached = SK_CACHE * step;
    GSL_INDEX group = GROUP_ID();
    GSL_INDEX start = group * rows_per_group;
    GSL_INDEX end = start + rows_per_group < rows ? start + rows_per_group : rows;
    GLOBAL double* sums = partial + group * cols;

    /* The owned columns' log r and running column sums stay in registers for the whole row block;
     * columns past the cache accumulate in this group's row of partial, which only this work-item
     * touches, so no barrier or atomic is involved. */
    double own_logr[SK_CACHE];
    double own_sum[SK_CACHE];
#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        own_logr[c] = k < cols ? logr[k] : 0.0;
        own_sum[c] = 0.0;
    }
    for (GSL_INDEX k = cached + t; k < cols; k += step)
    {
        sums[k] = 0.0;
    }

    /* The next row's cached values are loaded before this row's reductions, so that their memory
     * latency overlaps the barriers and exponentials instead of following them. */
    float next[SK_CACHE];
#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        next[c] = start < end && k < cols ? gsl_load(z_base, z_offset + start * cols + k, dtype) : 0.0f;
    }

    double error = 0.0;
    for (GSL_INDEX row = start; row < end; row++)
    {
        GSL_INDEX zr = z_offset + row * cols;
        double origin = row_max[row];
        double x[SK_CACHE];
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            x[c] = lambda * ((double)next[c] - origin) + own_logr[c];
        }
        if (row + 1 < end)
        {
#pragma unroll
            for (int c = 0; c < SK_CACHE; c++)
            {
                GSL_INDEX k = t + c * step;
                next[c] = k < cols ? gsl_load(z_base, zr + cols + k, dtype) : 0.0f;
            }
        }

        double m = -(double)GSL_INFINITY;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            if (t + c * step < cols)
            {
                m = DFMAX(m, x[c]);
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            m = DFMAX(m, lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k]);
        }
        m = gsl_block_max_f64(scratch, m);

        double s = 0.0;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            if (t + c * step < cols)
            {
                x[c] = sk_exp(x[c] - m);
                s += x[c];
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            s += sk_exp(lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k] - m);
        }
        s = gsl_block_sum_f64(scratch, s);

        double inverse = 1.0 / s;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            if (t + c * step < cols)
            {
                own_sum[c] += x[c] * inverse;
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            sums[k] += sk_exp(lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k] - m) * inverse;
        }
        if (t == 0)
        {
            double a = m + DLOG(s);
            if (measure_error)
            {
                error += DFABS(DEXP(a - state[row]) - 1.0);
            }
            state[row] = a;
        }
    }

#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        if (k < cols)
        {
            sums[k] = own_sum[c];
        }
    }
    if (t == 0)
    {
        errors[group] = error;
    }
}

KERNEL void sinkhorn_column_sum_reduce(const GLOBAL double* RESTRICT partial, GSL_INDEX groups, GSL_INDEX cols,
                                       GLOBAL double* RESTRICT out_base, GSL_INDEX out_offset, int accumulate)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    GLOBAL double* out = out_base + out_offset;
    int t = LOCAL_ID();
    int lanes = sk_reduce_lanes();
    int ways = LOCAL_SIZE() / lanes;
    int lane = t % lanes;
    int way = t / lanes;
    for (GSL_INDEX first = GROUP_ID() * lanes; first < cols; first += NUM_GROUPS() * lanes)
    {
        GSL_INDEX k = first + lane;
        double total = 0.0;
        if (k < cols)
        {
            for (GSL_INDEX g = way; g < groups; g += ways)
            {
                total += partial[g * cols + k];
            }
        }
        scratch[t] = total;
        BARRIER();
        if (way == 0 && k < cols)
        {
            total = accumulate ? out[k] : 0.0;
            for (int w = 0; w < ways; w++)
            {
                total += scratch[w * lanes + lane];
            }
            out[k] = total;
        }
        BARRIER();
    }
}

KERNEL void sinkhorn_sela_log_r(const GLOBAL double* RESTRICT sums_base, GSL_INDEX sums_offset, GSL_INDEX cols,
                                double offset, double trusted, GLOBAL double* RESTRICT logr_base, GSL_INDEX logr_offset,
                                GLOBAL double* RESTRICT status_base, GSL_INDEX status_offset)
{
    const GLOBAL double* sums = sums_base + sums_offset;
    GLOBAL double* logr = logr_base + logr_offset;
    for (GSL_INDEX k = GLOBAL_ID(); k < cols; k += GLOBAL_SIZE())
    {
        double sum = sums[k];
        /* Written so that a NaN sum fails the test too. */
        if (sum >= trusted && sum <= SK_LARGEST_DOUBLE)
        {
            logr[k] = logr[k] + (offset - DLOG(sum));
        }
        else
        {
            status_base[status_offset] = 1.0;
        }
    }
}

KERNEL void sinkhorn_sela_finalize(const GLOBAL unsigned short* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                                   double lambda, const GLOBAL double* RESTRICT max_base, GSL_INDEX max_offset,
                                   const GLOBAL double* RESTRICT logr_base, GSL_INDEX logr_offset,
                                   const GLOBAL double* RESTRICT lse_base, GSL_INDEX lse_offset,
                                   const GLOBAL double* RESTRICT state_base, GSL_INDEX state_offset, double log_rows,
                                   GLOBAL float* RESTRICT logc_base, GSL_INDEX logc_offset,
                                   GLOBAL GSL_INDEX* RESTRICT labels_base, GSL_INDEX labels_offset,
                                   GLOBAL float* RESTRICT codes_base, GSL_INDEX codes_offset, int has_codes, int dtype)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL double* row_max = max_base + max_offset;
    const GLOBAL double* logr = logr_base + logr_offset;
    const GLOBAL double* lse = lse_base + lse_offset;
    const GLOBAL double* state = state_base + state_offset;
    GLOBAL float* logc = logc_base + logc_offset;
    GLOBAL GSL_INDEX* labels = labels_base + labels_offset;
    GLOBAL float* codes = codes_base + codes_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX cached = SK_CACHE * step;
    double own_logr[SK_CACHE];
#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        own_logr[c] = k < cols ? logr[k] : 0.0;
    }

    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GSL_INDEX zr = z_offset + row * cols;
        double origin = row_max[row];
        double x[SK_CACHE];
        double m = -(double)GSL_INFINITY;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = t + c * step;
            x[c] = 0.0;
            if (k < cols)
            {
                x[c] = lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + own_logr[c];
                m = DFMAX(m, x[c]);
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            m = DFMAX(m, lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k]);
        }
        m = gsl_block_max_f64(scratch, m);

        /* The lowest index holding the max, as -max(-k): indices are exact in a double. */
        double first = -(double)cols;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = t + c * step;
            if (k < cols && x[c] == m)
            {
                first = DFMAX(first, -(double)k);
            }
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            if (lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k] == m)
            {
                first = DFMAX(first, -(double)k);
            }
        }
        first = gsl_block_max_f64(scratch, first);

        double a = state[row];
        if (t == 0)
        {
            /* No match cannot happen for finite x; label 0 then, as the CPU backend's search does. */
            labels[row] = first == -(double)cols ? 0 : (GSL_INDEX)(-first);
            logc[row] = (float)(lse[row] - a - log_rows);
        }
        if (has_codes)
        {
            GLOBAL float* q = codes + row * cols;
#pragma unroll
            for (int c = 0; c < SK_CACHE; c++)
            {
                GSL_INDEX k = t + c * step;
                if (k < cols)
                {
                    q[k] = (float)sk_exp(x[c] - a);
                }
            }
            for (GSL_INDEX k = cached + t; k < cols; k += step)
            {
                q[k] = (float)sk_exp(lambda * ((double)gsl_load(z_base, zr + k, dtype) - origin) + logr[k] - a);
            }
        }
    }
}

KERNEL void sinkhorn_exp_shifted(const GLOBAL float* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                                 double scale, const GLOBAL double* RESTRICT col_shift_base, GSL_INDEX col_shift_offset,
                                 int has_col_shift, const GLOBAL double* RESTRICT row_shift_base,
                                 GSL_INDEX row_shift_offset, double offset, GLOBAL float* RESTRICT out_base,
                                 GSL_INDEX out_offset)
{
    const GLOBAL float* z = z_base + z_offset;
    const GLOBAL double* col_shift = col_shift_base + col_shift_offset;
    const GLOBAL double* row_shift = row_shift_base + row_shift_offset;
    GLOBAL float* out = out_base + out_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        GLOBAL float* o = out + row * cols;
        double row_term = offset - row_shift[row];
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            double x = scale * (double)zr[k];
            if (has_col_shift)
            {
                x -= col_shift[k];
            }
            o[k] = (float)sk_exp(x + row_term);
        }
    }
}

KERNEL void swav_log_codes(const GLOBAL float* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                           double scale, const GLOBAL double* RESTRICT col_shift_base, GSL_INDEX col_shift_offset,
                           GLOBAL float* RESTRICT out_base, GSL_INDEX out_offset)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL float* z = z_base + z_offset;
    const GLOBAL double* col_shift = col_shift_base + col_shift_offset;
    GLOBAL float* out = out_base + out_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        GLOBAL float* o = out + row * cols;
        double m = -(double)GSL_INFINITY;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            m = DFMAX(m, scale * (double)zr[k] - col_shift[k]);
        }
        m = gsl_block_max_f64(scratch, m);

        double s = 0.0;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            s += sk_exp(scale * (double)zr[k] - col_shift[k] - m);
        }
        s = gsl_block_sum_f64(scratch, s);

        double inverse = 1.0 / s;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            o[k] = (float)(sk_exp(scale * (double)zr[k] - col_shift[k] - m) * inverse);
        }
    }
}

KERNEL void swav_exp_rows(const GLOBAL float* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                          double scale, GLOBAL double* RESTRICT max_base, GSL_INDEX max_offset,
                          GLOBAL double* RESTRICT spread_base, GSL_INDEX spread_offset,
                          GLOBAL float* RESTRICT out_base, GSL_INDEX out_offset)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL float* z = z_base + z_offset;
    GLOBAL double* row_max = max_base + max_offset;
    GLOBAL double* row_spread = spread_base + spread_offset;
    GLOBAL float* out = out_base + out_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        GLOBAL float* o = out + row * cols;
        double hi = -(double)GSL_INFINITY;
        double lo = (double)GSL_INFINITY;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            double x = scale * (double)zr[k];
            hi = DFMAX(hi, x);
            /* fmin and fmax drop NaNs: a NaN score makes the spread infinite instead, which the
               solver's finiteness screen sees. */
            lo = DFMIN(lo, x != x ? -(double)GSL_INFINITY : x);
        }
        hi = gsl_block_max_f64(scratch, hi);
        lo = -gsl_block_max_f64(scratch, -lo);
        if (LOCAL_ID() == 0)
        {
            row_max[row] = hi;
            row_spread[row] = hi - lo;
        }
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            o[k] = (float)sk_exp(scale * (double)zr[k] - hi);
        }
    }
}

KERNEL void swav_column_sums_partial(const GLOBAL float* RESTRICT e_base, GSL_INDEX e_offset, GSL_INDEX rows,
                                     GSL_INDEX cols, GSL_INDEX rows_per_group,
                                     const GLOBAL double* RESTRICT w_base, GSL_INDEX w_offset,
                                     GLOBAL double* RESTRICT partial)
{
    const GLOBAL float* e = e_base + e_offset;
    const GLOBAL double* w = w_base + w_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX group = GROUP_ID();
    GSL_INDEX start = group * rows_per_group;
    GSL_INDEX end = start + rows_per_group < rows ? start + rows_per_group : rows;
    for (GSL_INDEX chunk = 0; chunk < cols; chunk += SK_CACHE * step)
    {
        double s[SK_CACHE];
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            s[c] = 0.0;
        }
        for (GSL_INDEX row = start; row < end; row++)
        {
            const GLOBAL float* er = e + row * cols + chunk;
            double weight = w[row];
#pragma unroll
            for (int c = 0; c < SK_CACHE; c++)
            {
                GSL_INDEX j = t + c * step;
                if (chunk + j < cols)
                {
                    s[c] += (double)er[j] * weight;
                }
            }
        }
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = chunk + t + c * step;
            if (k < cols)
            {
                partial[group * cols + k] = s[c];
            }
        }
    }
}

KERNEL void swav_row_step(const GLOBAL float* RESTRICT e_base, GSL_INDEX e_offset, GSL_INDEX rows, GSL_INDEX cols,
                          GSL_INDEX rows_per_group, const GLOBAL double* RESTRICT colw_base, GSL_INDEX colw_offset,
                          double target, GLOBAL double* RESTRICT roww_base, GSL_INDEX roww_offset,
                          GLOBAL double* RESTRICT partial, int has_columns)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    const GLOBAL float* e = e_base + e_offset;
    const GLOBAL double* colw = colw_base + colw_offset;
    GLOBAL double* roww = roww_base + roww_offset;
    int t = LOCAL_ID();
    GSL_INDEX step = LOCAL_SIZE();
    GSL_INDEX cached = SK_CACHE * step;
    GSL_INDEX group = GROUP_ID();
    GSL_INDEX start = group * rows_per_group;
    GSL_INDEX end = start + rows_per_group < rows ? start + rows_per_group : rows;
    GLOBAL double* sums = partial + group * cols;

    /* As in sinkhorn_sela_pass: owned columns' weights and sums in registers, the rest in this
     * group's row of partial, touched by its owner only. */
    double own_w[SK_CACHE];
    double own_sum[SK_CACHE];
#pragma unroll
    for (int c = 0; c < SK_CACHE; c++)
    {
        GSL_INDEX k = t + c * step;
        own_w[c] = k < cols ? colw[k] : 0.0;
        own_sum[c] = 0.0;
    }
    if (has_columns)
    {
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            sums[k] = 0.0;
        }
    }

    for (GSL_INDEX row = start; row < end; row++)
    {
        const GLOBAL float* er = e + row * cols;
        double x[SK_CACHE];
        double dot = 0.0;
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = t + c * step;
            x[c] = k < cols ? (double)er[k] : 0.0;
            dot += x[c] * own_w[c];
        }
        for (GSL_INDEX k = cached + t; k < cols; k += step)
        {
            dot += (double)er[k] * colw[k];
        }
        dot = gsl_block_sum_f64(scratch, dot);
        double u = target / dot;
        if (t == 0)
        {
            roww[row] = u;
        }
        if (has_columns)
        {
#pragma unroll
            for (int c = 0; c < SK_CACHE; c++)
            {
                own_sum[c] += x[c] * u;
            }
            for (GSL_INDEX k = cached + t; k < cols; k += step)
            {
                sums[k] += (double)er[k] * u;
            }
        }
    }

    if (has_columns)
    {
#pragma unroll
        for (int c = 0; c < SK_CACHE; c++)
        {
            GSL_INDEX k = t + c * step;
            if (k < cols)
            {
                sums[k] = own_sum[c];
            }
        }
    }
}

KERNEL void swav_row_step_scale(GLOBAL float* RESTRICT e_base, GSL_INDEX e_offset, GSL_INDEX rows, GSL_INDEX cols,
                                const GLOBAL double* RESTRICT colw_base, GSL_INDEX colw_offset, double target,
                                double factor)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    GLOBAL float* e = e_base + e_offset;
    const GLOBAL double* colw = colw_base + colw_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GLOBAL float* er = e + row * cols;
        double dot = 0.0;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            dot += (double)er[k] * colw[k];
        }
        dot = gsl_block_sum_f64(scratch, dot);
        double u = factor * (target / dot);
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            er[k] = (float)((double)er[k] * (u * colw[k]));
        }
    }
}

KERNEL void swav_scale(GLOBAL float* RESTRICT e_base, GSL_INDEX e_offset, GSL_INDEX rows, GSL_INDEX cols,
                       const GLOBAL double* RESTRICT roww_base, GSL_INDEX roww_offset,
                       const GLOBAL double* RESTRICT colw_base, GSL_INDEX colw_offset, double factor)
{
    GLOBAL float* e = e_base + e_offset;
    const GLOBAL double* roww = roww_base + roww_offset;
    const GLOBAL double* colw = colw_base + colw_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GLOBAL float* er = e + row * cols;
        double u = factor * roww[row];
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            er[k] = (float)((double)er[k] * (u * colw[k]));
        }
    }
}

KERNEL void swav_column_weights(const GLOBAL double* RESTRICT sums_base, GSL_INDEX sums_offset, GSL_INDEX cols,
                                GLOBAL double* RESTRICT colw_base, GSL_INDEX colw_offset)
{
    const GLOBAL double* sums = sums_base + sums_offset;
    GLOBAL double* colw = colw_base + colw_offset;
    for (GSL_INDEX k = GLOBAL_ID(); k < cols; k += GLOBAL_SIZE())
    {
        colw[k] = 1.0 / ((double)cols * sums[k]);
    }
}

KERNEL void sinkhorn_add_bias(GLOBAL float* RESTRICT z_base, GSL_INDEX z_offset, GSL_INDEX rows, GSL_INDEX cols,
                              const GLOBAL float* RESTRICT bias_base, GSL_INDEX bias_offset)
{
    GLOBAL float* z = z_base + z_offset;
    const GLOBAL float* bias = bias_base + bias_offset;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GLOBAL float* zr = z + row * cols;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            zr[k] += bias[k];
        }
    }
}
