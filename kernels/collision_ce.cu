/* ops.md section 2 (collision cross-entropy) and section 3 (Shannon cross-entropy with soft targets),
 * forward and backward fused: one kernel per loss, one work-group per row (grid-stride over rows
 * beyond the grid), a block-stride loop over K so that any K >= 2 works.
 *
 * collision_ce_rows(z, y, losses, dlogits, dtargets, rows, cols, inverse_rows)
 *   reads z and y (rows x cols) once for the row's online state: m = max z, S = sum e, D = sum e y with
 *   e = exp(z - m), all in float64 and rescaled together whenever a work-item's running max moves;
 *   then reads the row again (from cache) and writes, once each,
 *     losses[i]    = H2 = ln S - ln D,
 *     dlogits (NxK) = e (1/S - y/D) / N                  (= (sigma - q)/N, q = softmax(z + ln y)),
 *     dtargets (NxK) = max(-e / (N D), -FLT_MAX)         (= -sigma / (N sum sigma y), saturated).
 *   The shared shift keeps ln S - ln D free of the cancellation LSE(z) - LSE(z + ln y) suffers in
 *   float32. A row whose D is below 1e-200 (targets only where sigma < ~1e-200, e.g. logits +-400)
 *   takes a third read for ln D = LSE over y > 0 of (z - m + ln y) and writes every output from
 *   logarithms: sigma = exp(z - m - ln S), q = exp(z - m + ln y - ln D), dtargets = -exp(z - m - ln D)/N
 *   saturated to -FLT_MAX where it leaves float32 range. The branch is per row and uniform across the
 *   group (it tests the reduced D). The log-domain reduction runs on every row all the same, over empty
 *   states (no exponentials, a few shuffles) when the row is linear, so that no barrier sits inside a
 *   data-dependent branch: legal OpenCL, but PoCL corrupts memory on such kernels at some group sizes.
 * cross_entropy_rows(z, y, losses, dlogits, rows, cols, inverse_rows)
 *   reads z and y once for m = max z, S = sum exp(z - m), sum y z and sum y (float64), reads the row
 *   again and writes losses[i] = (sum y) ln S - (sum y z - m sum y) (= -sum y ln sigma; y = 0 adds
 *   exactly 0) and dlogits = (e/S - y)/N.
 *
 * The arithmetic is the CPU backend's (CpuKernels.CrossEntropy.cs): exponentials, sums and gradients
 * in float64, rounded to float32 once at the store. inverse_rows is 1/N in float64 (N = rows), so the
 * gradients are those of the mean loss. Reductions are the fixed trees below: bitwise reproducible for
 * a given group size. */
#include "common/gsl_portable.h"
#include "common/reductions_f64.h"

/* The largest finite float32, as a double (NVRTC has no <float.h>). */
#define CE_FLOAT_MAX 3.4028234663852886e38

/* Smallest D the linear-domain collision row trusts (as the CPU backend): above it every term that
 * float64 exp drops by underflow is below 1e-108 of D. */
#define CE_COLLISION_LINEAR_FLOOR 1e-200

/* A row's running state. max: the shift m. sum: sum exp(v - m). dot: sum exp(v - m) y when it is
 * rescaled with sum (collision, and the log-domain pass), or a plain sum (Shannon's sum y z).
 * mass: a plain sum (Shannon's sum y). An empty state has max = -inf and zeros; the logits are
 * finite (validated), so only an empty state has an infinite max. */
typedef struct
{
    double max;
    double sum;
    double dot;
    double mass;
} ce_state;

DEVICE_INLINE ce_state ce_state_empty(void)
{
    ce_state s;
    s.max = (double)GSL_NEG_INFINITY;
    s.sum = 0.0;
    s.dot = 0.0;
    s.mass = 0.0;
    return s;
}

/* Adds one element: exp(v - m) to sum (one exponential, rescaling when the max moves), and
 * dot_term to dot, as exp(v - m) * dot_term when dot is scaled, as is otherwise; mass_term to mass.
 * From the empty state exp(-inf) = 0 multiplies sums that are 0. */
DEVICE_INLINE ce_state ce_state_add(ce_state s, double v, double dot_term, double mass_term, int scaled_dot)
{
    double e = 1.0;
    if (v > s.max)
    {
        double f = DEXP(s.max - v);
        s.sum *= f;
        if (scaled_dot)
        {
            s.dot *= f;
        }
        s.max = v;
    }
    else
    {
        e = DEXP(v - s.max);
    }
    s.sum += e;
    s.dot += scaled_dot ? e * dot_term : dot_term;
    s.mass += mass_term;
    return s;
}

/* Combines two states; the larger max keeps its factor 1 exactly, so only one exponential is taken,
 * and an empty b (max -inf) never forms (-inf) - (-inf). */
DEVICE_INLINE ce_state ce_state_merge(ce_state a, ce_state b, int scaled_dot)
{
    ce_state r;
    r.mass = a.mass + b.mass;
    if (a.max >= b.max)
    {
        double f = b.max == (double)GSL_NEG_INFINITY ? 0.0 : DEXP(b.max - a.max);
        r.max = a.max;
        r.sum = a.sum + b.sum * f;
        r.dot = scaled_dot ? a.dot + b.dot * f : a.dot + b.dot;
    }
    else
    {
        double f = DEXP(a.max - b.max);
        r.max = b.max;
        r.sum = a.sum * f + b.sum;
        r.dot = scaled_dot ? a.dot * f + b.dot : a.dot + b.dot;
    }
    return r;
}

#ifdef GSL_CUDA
DEVICE_INLINE ce_state ce_warp_state(ce_state p, int scaled_dot)
{
    for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        ce_state other;
        other.max = __shfl_xor_sync(GSL_FULL_MASK, p.max, offset);
        other.sum = __shfl_xor_sync(GSL_FULL_MASK, p.sum, offset);
        other.dot = __shfl_xor_sync(GSL_FULL_MASK, p.dot, offset);
        other.mass = __shfl_xor_sync(GSL_FULL_MASK, p.mass, offset);
        /* Merge in lane order so both partners compute the same expression on the same operands. */
        p = (LOCAL_ID() & offset) ? ce_state_merge(other, p, scaled_dot) : ce_state_merge(p, other, scaled_dot);
    }
    return p;
}
#endif

/* The group's state from each work-item's own, returned to every work-item. Scratch: LOCAL_SIZE()
 * doubles each. Ends with a barrier, so the scratch may be reused at once. */
DEVICE_INLINE ce_state ce_block_state(LOCAL_PTR double* s_max, LOCAL_PTR double* s_sum, LOCAL_PTR double* s_dot,
                                      LOCAL_PTR double* s_mass, ce_state p, int scaled_dot)
{
    int t = LOCAL_ID();
#ifdef GSL_CUDA
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)
    {
        int lane = t % GSL_WARP_SIZE;
        p = ce_warp_state(p, scaled_dot);
        if (lane == 0)
        {
            s_max[t / GSL_WARP_SIZE] = p.max;
            s_sum[t / GSL_WARP_SIZE] = p.sum;
            s_dot[t / GSL_WARP_SIZE] = p.dot;
            s_mass[t / GSL_WARP_SIZE] = p.mass;
        }
        BARRIER();
        if (lane < LOCAL_SIZE() / GSL_WARP_SIZE)
        {
            p.max = s_max[lane];
            p.sum = s_sum[lane];
            p.dot = s_dot[lane];
            p.mass = s_mass[lane];
        }
        else
        {
            p = ce_state_empty();
        }
        p = ce_warp_state(p, scaled_dot);
        BARRIER();
        return p;
    }
#endif
    s_max[t] = p.max;
    s_sum[t] = p.sum;
    s_dot[t] = p.dot;
    s_mass[t] = p.mass;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            ce_state a;
            ce_state b;
            a.max = s_max[t];
            a.sum = s_sum[t];
            a.dot = s_dot[t];
            a.mass = s_mass[t];
            b.max = s_max[t + s];
            b.sum = s_sum[t + s];
            b.dot = s_dot[t + s];
            b.mass = s_mass[t + s];
            a = ce_state_merge(a, b, scaled_dot);
            s_max[t] = a.max;
            s_sum[t] = a.sum;
            s_dot[t] = a.dot;
            s_mass[t] = a.mass;
        }
        BARRIER();
    }
    p.max = s_max[0];
    p.sum = s_sum[0];
    p.dot = s_dot[0];
    p.mass = s_mass[0];
    BARRIER();
    return p;
}

KERNEL void collision_ce_rows(const GLOBAL float* RESTRICT z, const GLOBAL float* RESTRICT y,
                              GLOBAL float* RESTRICT losses, GLOBAL float* RESTRICT dlogits,
                              GLOBAL float* RESTRICT dtargets, GSL_INDEX rows, GSL_INDEX cols, double inverse_rows)
{
    LOCAL double s_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_sum[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_dot[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_mass[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        const GLOBAL float* yr = y + row * cols;
        GLOBAL float* dz = dlogits + row * cols;
        GLOBAL float* dy = dtargets + row * cols;
        ce_state p = ce_state_empty();
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            p = ce_state_add(p, (double)zr[k], (double)yr[k], 0.0, 1);
        }
        p = ce_block_state(s_max, s_sum, s_dot, s_mass, p, 1);
        double m = p.max;
        int linear = p.dot >= CE_COLLISION_LINEAR_FLOOR;
        ce_state q = ce_state_empty();
        if (!linear)
        {
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                float yk = yr[k];
                if (yk > 0.0f)
                {
                    q = ce_state_add(q, ((double)zr[k] - m) + DLOG((double)yk), 0.0, 0.0, 1);
                }
            }
        }
        /* Outside the branch on purpose: see the top comment. */
        q = ce_block_state(s_max, s_sum, s_dot, s_mass, q, 1);
        if (linear)
        {
            double collision_scale = inverse_rows / p.dot;
            double softmax_scale = inverse_rows / p.sum;
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                double e = DEXP((double)zr[k] - m);
                dz[k] = (float)(((double)yr[k] * -collision_scale + softmax_scale) * e);
                dy[k] = (float)DFMAX(e * -collision_scale, -CE_FLOAT_MAX);
            }
            if (LOCAL_ID() == 0)
            {
                losses[row] = (float)(DLOG(p.sum) - DLOG(p.dot));
            }
        }
        else
        {
            /* Validation guarantees some y > 0 in the row, so ln D is finite and nothing here is NaN. */
            double log_d = q.max + DLOG(q.sum);
            double log_s = DLOG(p.sum);
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                double w = (double)zr[k] - m;
                float yk = yr[k];
                double sigma = DEXP(w - log_s);
                double qk = yk > 0.0f ? DEXP(w + DLOG((double)yk) - log_d) : 0.0;
                dz[k] = (float)((sigma - qk) * inverse_rows);
                dy[k] = (float)DFMAX(-DEXP(w - log_d) * inverse_rows, -CE_FLOAT_MAX);
            }
            if (LOCAL_ID() == 0)
            {
                losses[row] = (float)(log_s - log_d);
            }
        }
    }
}

KERNEL void cross_entropy_rows(const GLOBAL float* RESTRICT z, const GLOBAL float* RESTRICT y,
                               GLOBAL float* RESTRICT losses, GLOBAL float* RESTRICT dlogits,
                               GSL_INDEX rows, GSL_INDEX cols, double inverse_rows)
{
    LOCAL double s_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_sum[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_dot[GSL_MAX_LOCAL_SIZE];
    LOCAL double s_mass[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        const GLOBAL float* yr = y + row * cols;
        GLOBAL float* dz = dlogits + row * cols;
        ce_state p = ce_state_empty();
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            double zk = (double)zr[k];
            double yk = (double)yr[k];
            p = ce_state_add(p, zk, yk * zk, yk, 0);
        }
        p = ce_block_state(s_max, s_sum, s_dot, s_mass, p, 0);
        double m = p.max;
        double inverse_sum = 1.0 / p.sum;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            double e = DEXP((double)zr[k] - m);
            dz[k] = (float)((e * inverse_sum - (double)yr[k]) * inverse_rows);
        }
        if (LOCAL_ID() == 0)
        {
            /* sum y (z - m) = sum y z - m sum y: y z and m sum y are exact or nearly so in float64, so
             * the shift costs no precision a float32 loss can see. */
            losses[row] = (float)(p.mass * DLOG(p.sum) - (p.dot - m * p.mass));
        }
    }
}
