/* Work-group reductions in local memory, shared by every kernel family.
 *
 * Each helper is called by every work-item of the group (it contains barriers) and returns the
 * group's result to every work-item. The combination order is a fixed tree that depends only on
 * LOCAL_SIZE(), never on timing, so a launch with the same group size is bitwise reproducible.
 * Scratch arrays are declared by the kernel (LOCAL float s[GSL_MAX_LOCAL_SIZE]) and may be reused
 * right after a helper returns: each helper ends with a barrier.
 *
 * On CUDA, groups of whole warps take a shuffle path (butterfly within each warp, then one more
 * butterfly over the warps' partials); the portable tree path serves OpenCL and small groups.
 * A butterfly leaves the same bits in every lane because a + b == b + a exactly. */
#ifndef GSL_REDUCTIONS_H
#define GSL_REDUCTIONS_H

#include "common/gsl_portable.h"

/* The online-softmax state of a set of values z: max = max z, sum = sum exp((z - max)*scale).
 * An empty set is (-inf, 0). */
typedef struct
{
    float max;
    float sum;
} gsl_softmax_pair;

DEVICE_INLINE gsl_softmax_pair gsl_softmax_pair_empty(void)
{
    gsl_softmax_pair p;
    p.max = GSL_NEG_INFINITY;
    p.sum = 0.0f;
    return p;
}

/* Adds one finite value: one exponential per element, rescaling the sum only when the max moves. */
DEVICE_INLINE gsl_softmax_pair gsl_softmax_pair_add(gsl_softmax_pair p, float z, float scale)
{
    if (z > p.max)
    {
        p.sum = p.sum * EXP((p.max - z) * scale) + 1.0f;
        p.max = z;
    }
    else
    {
        p.sum += EXP((z - p.max) * scale);
    }
    return p;
}

/* Merges two states; the guard keeps (-inf) - (-inf) = NaN out when both sets are empty. */
DEVICE_INLINE gsl_softmax_pair gsl_softmax_pair_merge(gsl_softmax_pair a, gsl_softmax_pair b, float scale)
{
    gsl_softmax_pair r;
    r.max = FMAX(a.max, b.max);
    if (r.max == GSL_NEG_INFINITY)
    {
        r.sum = 0.0f;
        return r;
    }
    r.sum = a.sum * EXP((a.max - r.max) * scale) + b.sum * EXP((b.max - r.max) * scale);
    return r;
}

/* The sum and max reductions, written once and instantiated per element type: a kernel calls
 * gsl_block_sum / gsl_block_max (float, below) or gsl_block_sum_f64 / gsl_block_max_f64 (double,
 * reductions_f64.h). scratch: LOCAL_SIZE() elements of the type. OpenCL C has no templates, so the
 * generator is a macro; the warp path exists only on CUDA, hence the two pieces below. */
#define GSL_ADD(a, b) ((a) + (b))

#ifdef GSL_CUDA
/* Butterfly over one warp with combine(a, b). */
#define GSL_DEFINE_WARP_REDUCTION(T, warp, combine)                                 \
    DEVICE_INLINE T warp(T v)                                                      \
    {                                                                              \
        for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)             \
        {                                                                          \
            v = combine(v, __shfl_xor_sync(GSL_FULL_MASK, v, offset));             \
        }                                                                          \
        return v;                                                                  \
    }

/* Groups of whole warps: each warp's result, then one more butterfly over the warps' partials. */
#define GSL_WARP_PATH(warp, identity)                                               \
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)                                             \
    {                                                                              \
        int lane = t % GSL_WARP_SIZE;                                              \
        v = warp(v);                                                               \
        if (lane == 0)                                                             \
        {                                                                          \
            scratch[t / GSL_WARP_SIZE] = v;                                        \
        }                                                                          \
        BARRIER();                                                                 \
        v = lane < LOCAL_SIZE() / GSL_WARP_SIZE ? scratch[lane] : (identity);      \
        v = warp(v);                                                               \
        BARRIER();                                                                 \
        return v;                                                                  \
    }
#else
#define GSL_DEFINE_WARP_REDUCTION(T, warp, combine)
#define GSL_WARP_PATH(warp, identity)
#endif

/* DEVICE_INLINE T name(LOCAL_PTR T* scratch, T v): combine(a, b) of v over the group, the portable
 * tree everywhere but CUDA's whole-warp groups. identity fills the unused warp slots. */
#define GSL_DEFINE_BLOCK_REDUCTION(T, name, warp, combine, identity)               \
    GSL_DEFINE_WARP_REDUCTION(T, warp, combine)                                    \
    DEVICE_INLINE T name(LOCAL_PTR T* scratch, T v)                                \
    {                                                                              \
        int t = LOCAL_ID();                                                        \
        GSL_WARP_PATH(warp, identity)                                              \
        scratch[t] = v;                                                            \
        BARRIER();                                                                 \
        for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)                             \
        {                                                                          \
            if (t < s)                                                             \
            {                                                                      \
                scratch[t] = combine(scratch[t], scratch[t + s]);                  \
            }                                                                      \
            BARRIER();                                                             \
        }                                                                          \
        v = scratch[0];                                                            \
        BARRIER();                                                                 \
        return v;                                                                  \
    }

GSL_DEFINE_BLOCK_REDUCTION(float, gsl_block_sum, gsl_warp_sum, GSL_ADD, 0.0f)
GSL_DEFINE_BLOCK_REDUCTION(float, gsl_block_max, gsl_warp_max, FMAX, GSL_NEG_INFINITY)

#ifdef GSL_CUDA
DEVICE_INLINE gsl_softmax_pair gsl_warp_softmax_pair(gsl_softmax_pair p, float scale)
{
    for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        gsl_softmax_pair other;
        other.max = __shfl_xor_sync(GSL_FULL_MASK, p.max, offset);
        other.sum = __shfl_xor_sync(GSL_FULL_MASK, p.sum, offset);
        /* Merge in lane order so both partners compute the same expression on the same operands. */
        p = (LOCAL_ID() & offset) ? gsl_softmax_pair_merge(other, p, scale) : gsl_softmax_pair_merge(p, other, scale);
    }
    return p;
}
#endif

/* The group's online-softmax state from each work-item's own. scratch_max, scratch_sum: LOCAL_SIZE() floats each. */
DEVICE_INLINE gsl_softmax_pair gsl_block_softmax_pair(LOCAL_PTR float* scratch_max, LOCAL_PTR float* scratch_sum,
                                                      gsl_softmax_pair p, float scale)
{
    int t = LOCAL_ID();
#ifdef GSL_CUDA
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)
    {
        int lane = t % GSL_WARP_SIZE;
        p = gsl_warp_softmax_pair(p, scale);
        if (lane == 0)
        {
            scratch_max[t / GSL_WARP_SIZE] = p.max;
            scratch_sum[t / GSL_WARP_SIZE] = p.sum;
        }
        BARRIER();
        if (lane < LOCAL_SIZE() / GSL_WARP_SIZE)
        {
            p.max = scratch_max[lane];
            p.sum = scratch_sum[lane];
        }
        else
        {
            p = gsl_softmax_pair_empty();
        }
        p = gsl_warp_softmax_pair(p, scale);
        BARRIER();
        return p;
    }
#endif
    scratch_max[t] = p.max;
    scratch_sum[t] = p.sum;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            gsl_softmax_pair a;
            gsl_softmax_pair b;
            a.max = scratch_max[t];
            a.sum = scratch_sum[t];
            b.max = scratch_max[t + s];
            b.sum = scratch_sum[t + s];
            a = gsl_softmax_pair_merge(a, b, scale);
            scratch_max[t] = a.max;
            scratch_sum[t] = a.sum;
        }
        BARRIER();
    }
    p.max = scratch_max[0];
    p.sum = scratch_sum[0];
    BARRIER();
    return p;
}

#endif /* GSL_REDUCTIONS_H */
