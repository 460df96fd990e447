/* float64 work-group sums, maxima and online-softmax pairs, for accumulators that float32 would leave outside the accuracy contract
 * (losses near 0, long vectors): the generator of reductions.h instantiated for double, with the same
 * rules (called by every work-item of the group, result returned to every work-item, a fixed
 * combination tree that depends only on LOCAL_SIZE(), a barrier at the end so the scratch array may
 * be reused at once). A header of its own so that only kernels that use float64 declare it. */
#ifndef GSL_REDUCTIONS_F64_H
#define GSL_REDUCTIONS_F64_H

#include "common/gsl_portable.h"
#include "common/reductions.h"

GSL_DEFINE_BLOCK_REDUCTION(double, gsl_block_sum_f64, gsl_warp_sum_f64, GSL_ADD, 0.0)
GSL_DEFINE_BLOCK_REDUCTION(double, gsl_block_max_f64, gsl_warp_max_f64, DFMAX, -(double)GSL_INFINITY)
GSL_DEFINE_SOFTMAX_PAIR(gsl_softmax_pair_f64, double, DEXP, DFMAX)

#endif /* GSL_REDUCTIONS_F64_H */
