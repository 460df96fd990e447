/* ops.md section 1 - softmax, log-softmax and the softmax backward pass over NxK row-major float32.
 *
 * softmax_forward_rows(z, out, rows, cols, inverse_temperature, logarithm)
 *   reads z (rows x cols) once for each row's online-softmax state (m = max z, s = sum exp((z - m)/tau)),
 *   reads the row again and writes out (rows x cols) once:
 *   sigma = exp((z - m)/tau) / s, or with logarithm != 0, ln sigma = (z - m)/tau - ln s.
 *   The max is taken over z rather than z/tau so that z - m is exact near the max (Sterbenz) and the
 *   exponent carries no rounding of a large z/tau: max(z/tau) = max(z)/tau for tau > 0.
 * softmax_backward_rows(probs, grad, dlogits, rows, cols, inverse_temperature, logarithm)
 *   reads sigma and g = dL/dsigma (rows x cols) for the row dot sum g sigma, reads them again and
 *   writes dlogits (rows x cols) = sigma (g - sum g sigma) / tau. With logarithm != 0, probs holds
 *   ln sigma (the log-softmax output) and g = dL/d(ln sigma): the row sum is sum g (probs is not
 *   read for it), and dlogits = (g - exp(ln sigma) sum g) / tau.
 *
 * One work-group per row (grid-stride over rows when there are more rows than groups), a
 * block-stride loop over K so that any K >= 1 works; the launchers pick a power-of-two group size
 * from K. Reductions are the fixed trees of reductions.h. */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/reductions_f64.h"

KERNEL void softmax_forward_rows(const GLOBAL float* RESTRICT z, GLOBAL float* RESTRICT out,
                                 GSL_INDEX rows, GSL_INDEX cols, float inverse_temperature, int logarithm)
{
    LOCAL float scratch_max[GSL_MAX_LOCAL_SIZE];
    LOCAL float scratch_sum[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* zr = z + row * cols;
        GLOBAL float* o = out + row * cols;
        gsl_softmax_pair p = gsl_softmax_pair_empty();
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            p = gsl_softmax_pair_add(p, zr[k], inverse_temperature);
        }
        p = gsl_softmax_pair_block(scratch_max, scratch_sum, p, inverse_temperature);
        if (logarithm)
        {
            float log_sum = LOG(p.sum);
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                /* z - max overflows float to -inf when the row spans beyond 3.4e38 (+-3e38), where a
                 * small 1/tau may still bring ln sigma within float: such elements (rare) use double. */
                float diff = zr[k] - p.max;
                o[k] = (IS_FINITE(diff) ? diff * inverse_temperature
                                        : (float)(((double)zr[k] - (double)p.max) * (double)inverse_temperature)) - log_sum;
            }
        }
        else
        {
            float inverse_sum = 1.0f / p.sum;
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                o[k] = EXP((zr[k] - p.max) * inverse_temperature) * inverse_sum;
            }
        }
    }
}

KERNEL void softmax_backward_rows(const GLOBAL float* RESTRICT probs, const GLOBAL float* RESTRICT grad,
                                  GLOBAL float* RESTRICT dlogits, GSL_INDEX rows, GSL_INDEX cols,
                                  float inverse_temperature, int logarithm)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* p = probs + row * cols;
        const GLOBAL float* g = grad + row * cols;
        GLOBAL float* d = dlogits + row * cols;
        /* The row sum and g - sum are float64: g_k - sum g sigma cancels when g is nearly constant over
         * the row, and a float32 sum left that difference (divided by a small tau) outside ops.md's
         * 1e-4 relative contract. A float32 product g sigma is exact in double, so the sum is too,
         * up to the double additions; the pass stays memory-bound. */
        double partial = 0.0;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            partial += logarithm ? (double)g[k] : (double)g[k] * (double)p[k];
        }
        /* The reduction stays outside the branch on logarithm: PoCL corrupts memory on a barrier under a
         * branch, even one every work-item takes (kernels/README.md). */
        double sum = gsl_block_sum_f64(scratch, partial);
        if (logarithm)
        {
            float single_sum = (float)sum;
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                d[k] = (g[k] - EXP(p[k]) * single_sum) * inverse_temperature;
            }
        }
        else
        {
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                /* In double, g - sum neither cancels nor overflows near 3e38, and where sigma = 0 the
                 * product is a true 0. */
                d[k] = (float)(((double)g[k] - sum) * (double)p[k] * (double)inverse_temperature);
            }
        }
    }
}
