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

/* The online-softmax state of a set of values z, generated per element type like the reductions
 * above: a struct `pair` {max, sum} with max = max z and sum = sum exp((z - max)*scale) (an empty set
 * is (-inf, 0)), and
 *   pair##_empty(), pair##_add(p, z, scale)   one finite value: one exponential per element,
 *                                             rescaling the sum only when the max moves;
 *   pair##_merge(a, b, scale)                 the guard keeps (-inf) - (-inf) = NaN out when both
 *                                             sets are empty;
 *   pair##_block(scratch_max, scratch_sum, p, scale)   the group's state from each work-item's own;
 *                                             scratch_*: LOCAL_SIZE() elements of the type each.
 * gsl_softmax_pair (float) is below, gsl_softmax_pair_f64 (double) in reductions_f64.h. */
#ifdef GSL_CUDA
/* Butterfly over one warp, merging in lane order so both partners compute the same expression on the
 * same operands. */
#define GSL_DEFINE_WARP_SOFTMAX_PAIR(pair, T)                                                           \
    DEVICE_INLINE pair pair##_warp(pair p, T scale)                                                    \
    {                                                                                                  \
        for (int offset = GSL_WARP_SIZE / 2; offset > 0; offset >>= 1)                                 \
        {                                                                                              \
            pair other;                                                                                \
            other.max = __shfl_xor_sync(GSL_FULL_MASK, p.max, offset);                                 \
            other.sum = __shfl_xor_sync(GSL_FULL_MASK, p.sum, offset);                                 \
            p = (LOCAL_ID() & offset) ? pair##_merge(other, p, scale) : pair##_merge(p, other, scale); \
        }                                                                                              \
        return p;                                                                                      \
    }

#define GSL_WARP_SOFTMAX_PAIR_PATH(pair)                                                               \
    if (LOCAL_SIZE() >= GSL_WARP_SIZE)                                                                 \
    {                                                                                                  \
        int lane = t % GSL_WARP_SIZE;                                                                  \
        p = pair##_warp(p, scale);                                                                     \
        if (lane == 0)                                                                                 \
        {                                                                                              \
            scratch_max[t / GSL_WARP_SIZE] = p.max;                                                    \
            scratch_sum[t / GSL_WARP_SIZE] = p.sum;                                                    \
        }                                                                                              \
        BARRIER();                                                                                     \
        if (lane < LOCAL_SIZE() / GSL_WARP_SIZE)                                                       \
        {                                                                                              \
            p.max = scratch_max[lane];                                                                 \
            p.sum = scratch_sum[lane];                                                                 \
        }                                                                                              \
        else                                                                                           \
        {                                                                                              \
            p = pair##_empty();                                                                        \
        }                                                                                              \
        p = pair##_warp(p, scale);                                                                     \
        BARRIER();                                                                                     \
        return p;                                                                                      \
    }
#else
#define GSL_DEFINE_WARP_SOFTMAX_PAIR(pair, T)
#define GSL_WARP_SOFTMAX_PAIR_PATH(pair)
#endif

#define GSL_DEFINE_SOFTMAX_PAIR(pair, T, exp_of, max_of)                                               \
    typedef struct                                                                                     \
    {                                                                                                  \
        T max;                                                                                         \
        T sum;                                                                                         \
    } pair;                                                                                            \
                                                                                                       \
    DEVICE_INLINE pair pair##_empty(void)                                                              \
    {                                                                                                  \
        pair p;                                                                                        \
        p.max = (T)GSL_NEG_INFINITY;                                                                   \
        p.sum = (T)0;                                                                                  \
        return p;                                                                                      \
    }                                                                                                  \
                                                                                                       \
    DEVICE_INLINE pair pair##_add(pair p, T z, T scale)                                                \
    {                                                                                                  \
        if (z > p.max)                                                                                 \
        {                                                                                              \
            p.sum = p.sum * exp_of((p.max - z) * scale) + (T)1;                                        \
            p.max = z;                                                                                 \
        }                                                                                              \
        else                                                                                           \
        {                                                                                              \
            p.sum += exp_of((z - p.max) * scale);                                                      \
        }                                                                                              \
        return p;                                                                                      \
    }                                                                                                  \
                                                                                                       \
    DEVICE_INLINE pair pair##_merge(pair a, pair b, T scale)                                           \
    {                                                                                                  \
        pair r;                                                                                        \
        r.max = max_of(a.max, b.max);                                                                  \
        if (r.max == (T)GSL_NEG_INFINITY)                                                              \
        {                                                                                              \
            r.sum = (T)0;                                                                              \
            return r;                                                                                  \
        }                                                                                              \
        r.sum = a.sum * exp_of((a.max - r.max) * scale) + b.sum * exp_of((b.max - r.max) * scale);     \
        return r;                                                                                      \
    }                                                                                                  \
                                                                                                       \
    GSL_DEFINE_WARP_SOFTMAX_PAIR(pair, T)                                                              \
                                                                                                       \
    DEVICE_INLINE pair pair##_block(LOCAL_PTR T* scratch_max, LOCAL_PTR T* scratch_sum, pair p, T scale) \
    {                                                                                                  \
        int t = LOCAL_ID();                                                                            \
        GSL_WARP_SOFTMAX_PAIR_PATH(pair)                                                               \
        scratch_max[t] = p.max;                                                                        \
        scratch_sum[t] = p.sum;                                                                        \
        BARRIER();                                                                                     \
        for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)                                                 \
        {                                                                                              \
            if (t < s)                                                                                 \
            {                                                                                          \
                pair a;                                                                                \
                pair b;                                                                                \
                a.max = scratch_max[t];                                                                \
                a.sum = scratch_sum[t];                                                                \
                b.max = scratch_max[t + s];                                                            \
                b.sum = scratch_sum[t + s];                                                            \
                a = pair##_merge(a, b, scale);                                                         \
                scratch_max[t] = a.max;                                                                \
                scratch_sum[t] = a.sum;                                                                \
            }                                                                                          \
            BARRIER();                                                                                 \
        }                                                                                              \
        p.max = scratch_max[0];                                                                        \
        p.sum = scratch_sum[0];                                                                        \
        BARRIER();                                                                                     \
        return p;                                                                                      \
    }

GSL_DEFINE_SOFTMAX_PAIR(gsl_softmax_pair, float, EXP, FMAX)

#endif /* GSL_REDUCTIONS_H */
