/* The general reduction facades build on (IBackendKernels.Sum): the sum of every element of a
 * float32 tensor, e.g. ops.md section 2 and 3's mean loss from the per-sample losses.
 *
 * sum_partials(x, length, partials)
 *   reads x (length floats) once and writes partials (one double per work-group): the float64 sum of
 *   the elements i = GLOBAL_ID() + j * GLOBAL_SIZE() of its work-items, combined by the group's fixed
 *   tree. The host adds the partials in group order, so the result depends only on the launch shape
 *   (a function of the length), never on timing. float64 throughout: a float32 accumulator would
 *   lose the 1e-5 contract of a mean loss on long vectors. */
#include "common/gsl_portable.h"
#include "common/reductions_f64.h"

KERNEL void sum_partials(const GLOBAL float* RESTRICT x, GSL_INDEX length, GLOBAL double* RESTRICT partials)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    double v = 0.0;
    for (GSL_INDEX i = GLOBAL_ID(); i < length; i += GLOBAL_SIZE())
    {
        v += (double)x[i];
    }
    v = gsl_block_sum_f64(scratch, v);
    if (LOCAL_ID() == 0)
    {
        partials[GROUP_ID()] = v;
    }
}
