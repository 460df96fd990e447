/* The data rules of ops.md ("bad input never yields a silent NaN"): the device half of
 * IBackendKernels.FindInvalidRow. The host words the problem of the row found here with the CPU
 * backend's rule text, so every backend reports the same row and the same sentence.
 *
 * validate_rows(x, rows, cols, first_row, check, sum_tolerance, first_bad, dtype)
 *   reads x (rows x cols, stored as dtype: common/storage.h) from row first_row on and writes
 *   first_bad (one entry per work-group): the
 *   first row of the group's grid-stride sequence that may break the rule, or -1. The smallest
 *   entry >= 0 is the first such row overall, found without atomics.
 *   check 0: every entry finite. check 1: finite, >= 0, |sum - 1| <= 1e-3. check 2: finite, > 0,
 *   |sum - 1| <= 1e-3. The host passes sum_tolerance a little below 1e-3, by the float32 rounding bound
 *   of this sum, so that every row the CPU's float64 sum rejects is flagged here; the host re-checks
 *   a flagged row in float64 and resumes after it when it was a false alarm. */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/storage.h"

KERNEL void validate_rows(const GLOBAL unsigned short* RESTRICT x, GSL_INDEX rows, GSL_INDEX cols, GSL_INDEX first_row,
                          int check, float sum_tolerance, GLOBAL GSL_INDEX* RESTRICT first_bad, int dtype)
{
    LOCAL float scratch[GSL_MAX_LOCAL_SIZE];
    GSL_INDEX found = -1;
    for (GSL_INDEX row = first_row + GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        GSL_INDEX r = row * cols;
        float bad = 0.0f;
        float sum = 0.0f;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            float v = gsl_load(x, r + k, dtype);
            if (!IS_FINITE(v) || (check == 1 && v < 0.0f) || (check == 2 && !(v > 0.0f)))
            {
                bad = 1.0f;
            }
            sum += v;
        }
        bad = gsl_block_max(scratch, bad);
        if (check != 0)
        {
            sum = gsl_block_sum(scratch, sum);
            if (!(FABS(sum - 1.0f) <= sum_tolerance))
            {
                bad = 1.0f;
            }
        }
        /* bad is the same in every work-item (a group reduction), so the whole group leaves together. */
        if (bad != 0.0f)
        {
            found = row;
            break;
        }
    }
    if (LOCAL_ID() == 0)
    {
        first_bad[GROUP_ID()] = found;
    }
}
