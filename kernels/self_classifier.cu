/* ops.md section 7 - the Self-Classifier loss over V views of N samples and C classes, and its
 * gradient. Logits S are V x N x C row-major float32 (row v*N + n is sample n of view v). The
 * notation and the four passes are those of IBackendKernels.SelfClassifier.cs and the CPU backend
 * (CpuKernels.SelfClassifier.cs), whose float64 arithmetic every kernel mirrors: statistics that
 * later passes subtract from one another are float64 values kept in float32 (hi, lo) pair tensors
 * of shape (2, V, X) (all hi parts, then all lo parts; value = hi + lo), and every accumulation is
 * in double.
 *
 * Pass 1  self_classifier_row_statistics(logits, row_max, row_log_sum, rows, classes, inv_tau_row)
 *   one group per row (v, n): reads the row once (online max/sum pair); writes row_max[v,n] =
 *   max_y S and the pair row_log_sum[v,n] = ln sum_y exp((S - row_max)/tau_r).
 * Pass 2  self_classifier_column_partials(logits, row_max, row_log_sum, partials, views, samples,
 *         classes, rows_per_block, blocks, inv_tau_row, inv_tau_col)
 *   one work-item per (view, row block, class): reads its column of the block once; writes the
 *   block's column-softmax state (max, sum of exp((S - max)/tau_c)) and its sum of R to partials
 *   (3 x V x blocks x C doubles).
 *         self_classifier_column_merge(partials, col_max, col_log_sum, col_sum_r, views, classes,
 *         blocks, inv_tau_col)
 *   one work-item per (view, class): merges the blocks in order 0..blocks-1; writes col_max, the
 *   pairs col_log_sum = ln sum_n exp((S - col_max)/tau_c) and col_sum_r = r_y = sum_n R.
 * Pass 3  self_classifier_sample_rows(context..., row_log_sum_a, row_dot, loss_partials)
 *   one group per sample n, all views: writes the pairs row_log_sum_a[v,n] = ln a_n (the row sum of
 *   A, unclamped) and row_dot[v,n] = [a_n >= eps] * sum_y GT T (the row dot of the target backward),
 *   and per group the sum over its samples of sum_v sum_y T^v (sum_{j in J(v)} Q^j) (loss_partials,
 *   one double per group; the host sums them in order and multiplies by -w).
 *         self_classifier_column_hk_partials(context..., row_log_sum_a, row_dot, partials,
 *         rows_per_block, blocks)
 *   one work-item per (row block, class), all views: writes the block sums of H and K
 *   (2 x V x blocks x C doubles).
 *         self_classifier_column_hk_merge(partials, col_h, col_k, views, classes, blocks)
 *   one work-item per (view, class): writes the pairs col_h = sum_n H and col_k = sum_n K, blocks
 *   merged in order.
 * Pass 4  self_classifier_gradient_rows(context..., row_log_sum_a, row_dot, col_h, col_k, dlogits)
 *   one group per sample n, all views: reads everything above and writes dlogits (V x N x C) once:
 *   (H - A col_h)/tau_c + (M - R sum_y M)/tau_r with M = K - [r >= eps] P col_k.
 *
 * Where the value of one view at (n, y) needs the sums over all views at (n, y) (Q_all, Q_global,
 * T_all, T_global), a work-item computes those sums and then serves the views in chunks of
 * SC_VIEW_CHUNK held in private arrays, so any V works without per-view local memory. No
 * floating-point atomics: every sum over n is a per-block partial merged in a fixed order. */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/reductions_f64.h"

/* Views served per sweep of the cross-view sums; the private accumulators are this long. */
#define SC_VIEW_CHUNK 8

/* Pass 3 publishes per-view row sums through global memory to the rest of its own group. */
#ifdef GSL_CUDA
#define SC_BARRIER_GLOBAL() __syncthreads()
#else
#define SC_BARRIER_GLOBAL() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#endif

/* The arguments every per-sample kernel shares, in this order (SelfClassifierLaunch.Context); epsilon is the
   epsilon of ops.md section 7 (SelfClassifierOptions.Epsilon). */
#define SC_CONTEXT_PARAMS                                                                                      \
    const GLOBAL float* RESTRICT logits, const GLOBAL float* RESTRICT row_max,                                 \
        const GLOBAL float* RESTRICT row_log_sum, const GLOBAL float* RESTRICT col_max,                        \
        const GLOBAL float* RESTRICT col_log_sum, const GLOBAL float* RESTRICT col_sum_r, GSL_INDEX views,     \
        GSL_INDEX samples, GSL_INDEX classes, GSL_INDEX global_views, double inv_tau_row, double inv_tau_col, \
        double scale, double weight, double epsilon
#define SC_CONTEXT_ARGS                                                                                   \
    logits, row_max, row_log_sum, col_max, col_log_sum, col_sum_r, views, samples, classes, global_views, \
        inv_tau_row, inv_tau_col, scale, weight, epsilon

DEVICE_INLINE double sc_pair(const GLOBAL float* pairs, GSL_INDEX lo_offset, GSL_INDEX i)
{
    return (double)pairs[i] + (double)pairs[lo_offset + i];
}

DEVICE_INLINE void sc_set_pair(GLOBAL float* pairs, GSL_INDEX lo_offset, GSL_INDEX i, double value)
{
    float hi = (float)value;
    pairs[i] = hi;
    pairs[lo_offset + i] = (float)(value - (double)hi);
}

/* ln A^v_ny = (S - col_max)/tau_c - col_log_sum, from the float64 logit. */
DEVICE_INLINE double sc_log_a(double s, const GLOBAL float* col_max, const GLOBAL float* col_log_sum, GSL_INDEX views,
                              GSL_INDEX classes, GSL_INDEX v, GSL_INDEX y, double inv_tau_col)
{
    GSL_INDEX c = v * classes + y;
    return (s - (double)col_max[c]) * inv_tau_col - sc_pair(col_log_sum, views * classes, c);
}

/* Every per-view quantity at (v, n, y) that passes 3 and 4 need. */
typedef struct
{
    double t;     /* T = A / max(a_n, eps) */
    double r;     /* R, the row softmax */
    double p;     /* P = R / max(r_y, eps) */
    double q;     /* Q = ln((N/C) P + eps) */
    double ratio; /* (N/C) P / ((N/C) P + eps) */
} sc_values;

DEVICE_INLINE sc_values sc_view_values(SC_CONTEXT_PARAMS, const GLOBAL float* row_log_sum_a, GSL_INDEX v, GSL_INDEX n,
                                       GSL_INDEX y)
{
    sc_values out;
    GSL_INDEX row = v * samples + n;
    GSL_INDEX c = v * classes + y;
    double s = (double)logits[row * classes + y];
    double log_norm = DFMAX(sc_pair(row_log_sum_a, views * samples, row), DLOG(epsilon));
    out.t = DEXP(sc_log_a(s, col_max, col_log_sum, views, classes, v, y, inv_tau_col) - log_norm);
    out.r = DEXP((s - (double)row_max[row]) * inv_tau_row - sc_pair(row_log_sum, views * samples, row));
    out.p = out.r * (1.0 / DFMAX(sc_pair(col_sum_r, views * classes, c), epsilon));
    double qv = out.p * scale;
    out.ratio = qv / (qv + epsilon);
    out.q = DLOG(qv + epsilon);
    return out;
}

/* Sums over views at (n, y): all views and the global ones (v < G). */
typedef struct
{
    double t_all;
    double t_global;
    double q_all;
    double q_global;
} sc_cross;

DEVICE_INLINE sc_cross sc_cross_sums(SC_CONTEXT_PARAMS, const GLOBAL float* row_log_sum_a, GSL_INDEX n, GSL_INDEX y)
{
    sc_cross x;
    x.t_all = 0.0;
    x.t_global = 0.0;
    x.q_all = 0.0;
    x.q_global = 0.0;
    for (GSL_INDEX j = 0; j < views; j++)
    {
        sc_values u = sc_view_values(SC_CONTEXT_ARGS, row_log_sum_a, j, n, y);
        x.t_all += u.t;
        x.q_all += u.q;
        if (j == global_views - 1)
        {
            x.t_global = x.t_all;
            x.q_global = x.q_all;
        }
    }
    return x;
}

/* A global view pairs with every other view, a local one with the global views only. */
DEVICE_INLINE double sc_pair_q(sc_cross x, sc_values u, GSL_INDEX v, GSL_INDEX global_views)
{
    return v < global_views ? x.q_all - u.q : x.q_global;
}

DEVICE_INLINE double sc_pair_t(sc_cross x, sc_values u, GSL_INDEX v, GSL_INDEX global_views)
{
    return v < global_views ? x.t_all - u.t : x.t_global;
}

KERNEL void self_classifier_row_statistics(const GLOBAL float* RESTRICT logits, GLOBAL float* RESTRICT row_max,
                                           GLOBAL float* RESTRICT row_log_sum, GSL_INDEX rows, GSL_INDEX classes,
                                           double inv_tau_row)
{
    LOCAL double scratch_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_sum[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* s = logits + row * classes;
        gsl_softmax_pair_f64 p = gsl_softmax_pair_f64_empty();
        for (GSL_INDEX y = LOCAL_ID(); y < classes; y += LOCAL_SIZE())
        {
            p = gsl_softmax_pair_f64_add(p, (double)s[y], inv_tau_row);
        }
        p = gsl_softmax_pair_f64_block(scratch_max, scratch_sum, p, inv_tau_row);
        if (LOCAL_ID() == 0)
        {
            /* The max of float logits is itself a float: the shift is exact. */
            row_max[row] = (float)p.max;
            sc_set_pair(row_log_sum, rows, row, DLOG(p.sum));
        }
    }
}

KERNEL void self_classifier_column_partials(const GLOBAL float* RESTRICT logits, const GLOBAL float* RESTRICT row_max,
                                            const GLOBAL float* RESTRICT row_log_sum, GLOBAL double* RESTRICT partials,
                                            GSL_INDEX views, GSL_INDEX samples, GSL_INDEX classes,
                                            GSL_INDEX rows_per_block, GSL_INDEX blocks, double inv_tau_row,
                                            double inv_tau_col)
{
    GSL_INDEX tiles = (classes + LOCAL_SIZE() - 1) / LOCAL_SIZE();
    GSL_INDEX count = views * blocks * classes;
    for (GSL_INDEX g = GROUP_ID(); g < views * blocks * tiles; g += NUM_GROUPS())
    {
        GSL_INDEX v = g / (blocks * tiles);
        GSL_INDEX b = (g / tiles) % blocks;
        GSL_INDEX y = (g % tiles) * LOCAL_SIZE() + LOCAL_ID();
        if (y >= classes)
        {
            continue;
        }
        GSL_INDEX end = (b + 1) * rows_per_block < samples ? (b + 1) * rows_per_block : samples;
        gsl_softmax_pair_f64 a = gsl_softmax_pair_f64_empty();
        double sum_r = 0.0;
        for (GSL_INDEX n = b * rows_per_block; n < end; n++)
        {
            GSL_INDEX row = v * samples + n;
            double s = (double)logits[row * classes + y];
            a = gsl_softmax_pair_f64_add(a, s, inv_tau_col);
            sum_r += DEXP((s - (double)row_max[row]) * inv_tau_row - sc_pair(row_log_sum, views * samples, row));
        }
        GSL_INDEX at = (v * blocks + b) * classes + y;
        partials[at] = a.max;
        partials[count + at] = a.sum;
        partials[2 * count + at] = sum_r;
    }
}

KERNEL void self_classifier_column_merge(const GLOBAL double* RESTRICT partials, GLOBAL float* RESTRICT col_max,
                                         GLOBAL float* RESTRICT col_log_sum, GLOBAL float* RESTRICT col_sum_r,
                                         GSL_INDEX views, GSL_INDEX classes, GSL_INDEX blocks, double inv_tau_col)
{
    GSL_INDEX count = views * blocks * classes;
    for (GSL_INDEX i = GLOBAL_ID(); i < views * classes; i += GLOBAL_SIZE())
    {
        GSL_INDEX v = i / classes;
        GSL_INDEX y = i % classes;
        gsl_softmax_pair_f64 a = gsl_softmax_pair_f64_empty();
        double sum_r = 0.0;
        for (GSL_INDEX b = 0; b < blocks; b++)
        {
            GSL_INDEX at = (v * blocks + b) * classes + y;
            gsl_softmax_pair_f64 part;
            part.max = partials[at];
            part.sum = partials[count + at];
            a = gsl_softmax_pair_f64_merge(a, part, inv_tau_col);
            sum_r += partials[2 * count + at];
        }
        col_max[i] = (float)a.max;
        sc_set_pair(col_log_sum, views * classes, i, DLOG(a.sum));
        sc_set_pair(col_sum_r, views * classes, i, sum_r);
    }
}

KERNEL void self_classifier_sample_rows(SC_CONTEXT_PARAMS, GLOBAL float* row_log_sum_a, GLOBAL float* RESTRICT row_dot,
                                        GLOBAL double* RESTRICT loss_partials)
{
    LOCAL double scratch_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_sum[GSL_MAX_LOCAL_SIZE];
    double log_epsilon = DLOG(epsilon);
    /* Every work-item keeps the same total (the block sums are the same in all of them). */
    double loss = 0.0;
    for (GSL_INDEX n = GROUP_ID(); n < samples; n += NUM_GROUPS())
    {
        for (GSL_INDEX v = 0; v < views; v++)
        {
            const GLOBAL float* s = logits + (v * samples + n) * classes;
            gsl_softmax_pair_f64 p = gsl_softmax_pair_f64_empty();
            for (GSL_INDEX y = LOCAL_ID(); y < classes; y += LOCAL_SIZE())
            {
                p = gsl_softmax_pair_f64_add(p, sc_log_a((double)s[y], col_max, col_log_sum, views, classes, v, y, inv_tau_col), 1.0);
            }
            p = gsl_softmax_pair_f64_block(scratch_max, scratch_sum, p, 1.0);
            if (LOCAL_ID() == 0)
            {
                sc_set_pair(row_log_sum_a, views * samples, v * samples + n, p.max + DLOG(p.sum));
            }
        }
        /* Every view's a_n, written by work-item 0, is read by the whole group below. */
        SC_BARRIER_GLOBAL();

        for (GSL_INDEX first = 0; first < views; first += SC_VIEW_CHUNK)
        {
            double partial[SC_VIEW_CHUNK];
            for (int i = 0; i < SC_VIEW_CHUNK; i++)
            {
                partial[i] = 0.0;
            }
            for (GSL_INDEX y = LOCAL_ID(); y < classes; y += LOCAL_SIZE())
            {
                sc_cross x = sc_cross_sums(SC_CONTEXT_ARGS, row_log_sum_a, n, y);
                for (int i = 0; i < SC_VIEW_CHUNK; i++)
                {
                    GSL_INDEX v = first + i;
                    if (v < views)
                    {
                        sc_values u = sc_view_values(SC_CONTEXT_ARGS, row_log_sum_a, v, n, y);
                        partial[i] += u.t * sc_pair_q(x, u, v, global_views);
                    }
                }
            }
            /* The reductions sit in a loop of uniform length rather than under a condition: PoCL
             * skipped barriers guarded by (first + i < views) at groups of two. */
            int chunk = views - first < SC_VIEW_CHUNK ? (int)(views - first) : SC_VIEW_CHUNK;
            for (int i = 0; i < chunk; i++)
            {
                GSL_INDEX v = first + i;
                double raw = gsl_block_sum_f64(scratch_sum, partial[i]);
                loss += raw;
                if (LOCAL_ID() == 0)
                {
                    GSL_INDEX row = v * samples + n;
                    /* Where a_n < eps the normaliser is the constant eps: no gradient through a_n. */
                    int clamped = sc_pair(row_log_sum_a, views * samples, row) < log_epsilon;
                    sc_set_pair(row_dot, views * samples, row, clamped ? 0.0 : -weight * raw);
                }
            }
        }
    }
    if (LOCAL_ID() == 0)
    {
        loss_partials[GROUP_ID()] = loss;
    }
}

KERNEL void self_classifier_column_hk_partials(SC_CONTEXT_PARAMS, const GLOBAL float* RESTRICT row_log_sum_a,
                                               const GLOBAL float* RESTRICT row_dot, GLOBAL double* RESTRICT partials,
                                               GSL_INDEX rows_per_block, GSL_INDEX blocks)
{
    GSL_INDEX tiles = (classes + LOCAL_SIZE() - 1) / LOCAL_SIZE();
    GSL_INDEX count = views * blocks * classes;
    for (GSL_INDEX g = GROUP_ID(); g < blocks * tiles; g += NUM_GROUPS())
    {
        GSL_INDEX b = g / tiles;
        GSL_INDEX y = (g % tiles) * LOCAL_SIZE() + LOCAL_ID();
        if (y >= classes)
        {
            continue;
        }
        GSL_INDEX end = (b + 1) * rows_per_block < samples ? (b + 1) * rows_per_block : samples;
        for (GSL_INDEX first = 0; first < views; first += SC_VIEW_CHUNK)
        {
            double sum_h[SC_VIEW_CHUNK];
            double sum_k[SC_VIEW_CHUNK];
            for (int i = 0; i < SC_VIEW_CHUNK; i++)
            {
                sum_h[i] = 0.0;
                sum_k[i] = 0.0;
            }
            for (GSL_INDEX n = b * rows_per_block; n < end; n++)
            {
                sc_cross x = sc_cross_sums(SC_CONTEXT_ARGS, row_log_sum_a, n, y);
                for (int i = 0; i < SC_VIEW_CHUNK; i++)
                {
                    GSL_INDEX v = first + i;
                    if (v < views)
                    {
                        sc_values u = sc_view_values(SC_CONTEXT_ARGS, row_log_sum_a, v, n, y);
                        double dot = sc_pair(row_dot, views * samples, v * samples + n);
                        sum_h[i] += (-weight * sc_pair_q(x, u, v, global_views) - dot) * u.t;
                        sum_k[i] += sc_pair_t(x, u, v, global_views) * u.ratio * -weight;
                    }
                }
            }
            for (int i = 0; i < SC_VIEW_CHUNK; i++)
            {
                GSL_INDEX v = first + i;
                if (v < views)
                {
                    GSL_INDEX at = (v * blocks + b) * classes + y;
                    partials[at] = sum_h[i];
                    partials[count + at] = sum_k[i];
                }
            }
        }
    }
}

KERNEL void self_classifier_column_hk_merge(const GLOBAL double* RESTRICT partials, GLOBAL float* RESTRICT col_h,
                                            GLOBAL float* RESTRICT col_k, GSL_INDEX views, GSL_INDEX classes,
                                            GSL_INDEX blocks)
{
    GSL_INDEX count = views * blocks * classes;
    for (GSL_INDEX i = GLOBAL_ID(); i < views * classes; i += GLOBAL_SIZE())
    {
        GSL_INDEX v = i / classes;
        GSL_INDEX y = i % classes;
        double h = 0.0;
        double k = 0.0;
        for (GSL_INDEX b = 0; b < blocks; b++)
        {
            GSL_INDEX at = (v * blocks + b) * classes + y;
            h += partials[at];
            k += partials[count + at];
        }
        sc_set_pair(col_h, views * classes, i, h);
        sc_set_pair(col_k, views * classes, i, k);
    }
}

KERNEL void self_classifier_gradient_rows(SC_CONTEXT_PARAMS, const GLOBAL float* RESTRICT row_log_sum_a,
                                          const GLOBAL float* RESTRICT row_dot, const GLOBAL float* RESTRICT col_h,
                                          const GLOBAL float* RESTRICT col_k, GLOBAL float* RESTRICT dlogits)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    GSL_INDEX lo_offset = views * classes;
    for (GSL_INDEX n = GROUP_ID(); n < samples; n += NUM_GROUPS())
    {
        for (GSL_INDEX first = 0; first < views; first += SC_VIEW_CHUNK)
        {
            double sum_m[SC_VIEW_CHUNK];
            for (int i = 0; i < SC_VIEW_CHUNK; i++)
            {
                sum_m[i] = 0.0;
            }
            for (GSL_INDEX y = LOCAL_ID(); y < classes; y += LOCAL_SIZE())
            {
                sc_cross x = sc_cross_sums(SC_CONTEXT_ARGS, row_log_sum_a, n, y);
                for (int i = 0; i < SC_VIEW_CHUNK; i++)
                {
                    GSL_INDEX v = first + i;
                    if (v < views)
                    {
                        GSL_INDEX c = v * classes + y;
                        sc_values u = sc_view_values(SC_CONTEXT_ARGS, row_log_sum_a, v, n, y);
                        /* Where max(r_y, eps) picks eps no gradient flows through r_y. */
                        double neg_col_k = sc_pair(col_sum_r, lo_offset, c) >= epsilon ? -sc_pair(col_k, lo_offset, c) : 0.0;
                        double k = sc_pair_t(x, u, v, global_views) * u.ratio * -weight;
                        sum_m[i] += u.p * neg_col_k + k;
                    }
                }
            }
            double dot[SC_VIEW_CHUNK];
            double normaliser[SC_VIEW_CHUNK];
            int chunk = views - first < SC_VIEW_CHUNK ? (int)(views - first) : SC_VIEW_CHUNK;
            for (int i = 0; i < SC_VIEW_CHUNK; i++)
            {
                dot[i] = 0.0;
                normaliser[i] = 0.0;
            }
            /* A loop of uniform length around the reductions, as in self_classifier_sample_rows. */
            for (int i = 0; i < chunk; i++)
            {
                GSL_INDEX row = (first + i) * samples + n;
                sum_m[i] = gsl_block_sum_f64(scratch, sum_m[i]);
                dot[i] = sc_pair(row_dot, views * samples, row);
                normaliser[i] = DEXP(DFMAX(sc_pair(row_log_sum_a, views * samples, row), DLOG(epsilon)));
            }
            for (GSL_INDEX y = LOCAL_ID(); y < classes; y += LOCAL_SIZE())
            {
                sc_cross x = sc_cross_sums(SC_CONTEXT_ARGS, row_log_sum_a, n, y);
                for (int i = 0; i < SC_VIEW_CHUNK; i++)
                {
                    GSL_INDEX v = first + i;
                    if (v < views)
                    {
                        GSL_INDEX row = v * samples + n;
                        GSL_INDEX c = v * classes + y;
                        sc_values u = sc_view_values(SC_CONTEXT_ARGS, row_log_sum_a, v, n, y);
                        double neg_col_k = sc_pair(col_sum_r, lo_offset, c) >= epsilon ? -sc_pair(col_k, lo_offset, c) : 0.0;
                        double k = sc_pair_t(x, u, v, global_views) * u.ratio * -weight;
                        double m = u.p * neg_col_k + k;
                        m = u.r * -sum_m[i] + m;
                        double h = (-weight * sc_pair_q(x, u, v, global_views) - dot[i]) * u.t;
                        /* A = T max(a_n, eps), formed as the CPU backend forms it. */
                        double a = (u.t * normaliser[i]) * -sc_pair(col_h, lo_offset, c) + h;
                        a = a * inv_tau_col;
                        a = m * inv_tau_row + a;
                        dlogits[row * classes + y] = (float)a;
                    }
                }
            }
        }
    }
}
