/* float64 work-group sums and maxima, for accumulators that float32 would leave outside the accuracy contract
 * (losses near 0, long vectors). Same rules as reductions.h: called by every work-item of the group,
 * result returned to every work-item, a fixed combination tree that depends only on LOCAL_SIZE(),
 * a barrier at the end so the scratch array may be reused at once. */
#ifndef GSL_REDUCTIONS_F64_H
#define GSL_REDUCTIONS_F64_H

#include "common/gsl_portable.h"

#ifdef GSL_CUDA
DEVICE_INLINE double gsl_warp_sum_f64(double v)
{
    for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        v += __shfl_xor_sync(GSL_FULL_MASK, v, offset);
    }
    return v;
}

DEVICE_INLINE double gsl_warp_max_f64(double v)
{
    for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        v = DFMAX(v, __shfl_xor_sync(GSL_FULL_MASK, v, offset));
    }
    return v;
}
#endif

/* sum v over the group in float64. scratch: LOCAL_SIZE() doubles. */
DEVICE_INLINE double gsl_block_sum_f64(LOCAL_PTR double* scratch, double v)
{
    int t = LOCAL_ID();
#ifdef GSL_CUDA
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)
    {
        int lane = t % GSL_WARP_SIZE;
        v = gsl_warp_sum_f64(v);
        if (lane == 0)
        {
            scratch[t / GSL_WARP_SIZE] = v;
        }
        BARRIER();
        v = lane < LOCAL_SIZE() / GSL_WARP_SIZE ? scratch[lane] : 0.0;
        v = gsl_warp_sum_f64(v);
        BARRIER();
        return v;
    }
#endif
    scratch[t] = v;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            scratch[t] += scratch[t + s];
        }
        BARRIER();
    }
    v = scratch[0];
    BARRIER();
    return v;
}

/* max v over the group in float64. scratch: LOCAL_SIZE() doubles. */
DEVICE_INLINE double gsl_block_max_f64(LOCAL_PTR double* scratch, double v)
{
    int t = LOCAL_ID();
#ifdef GSL_CUDA
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)
    {
        int lane = t % GSL_WARP_SIZE;
        v = gsl_warp_max_f64(v);
        if (lane == 0)
        {
            scratch[t / GSL_WARP_SIZE] = v;
        }
        BARRIER();
        v = lane < LOCAL_SIZE() / GSL_WARP_SIZE ? scratch[lane] : -GSL_INFINITY;
        v = gsl_warp_max_f64(v);
        BARRIER();
        return v;
    }
#endif
    scratch[t] = v;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            scratch[t] = DFMAX(scratch[t], scratch[t + s]);
        }
        BARRIER();
    }
    v = scratch[0];
    BARRIER();
    return v;
}

#endif /* GSL_REDUCTIONS_F64_H */
