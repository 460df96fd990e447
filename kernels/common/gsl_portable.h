/* One kernel text, two compilers: NVRTC (CUDA C++, the CUDA backend) and OpenCL C 1.2 (the OpenCL
 * backend, PoCL on machines without a GPU). Kernel files use only these macros and the plain C
 * subset both languages accept: no templates, no references, no overloading, no C++ casts, no
 * standard headers (NVRTC has none, OpenCL C forbids them).
 *
 * Conventions every kernel follows:
 * - one dimension: LOCAL_ID(), LOCAL_SIZE(), GROUP_ID(), NUM_GROUPS(), GLOBAL_ID(), GLOBAL_SIZE()
 *   describe dimension 0 (the group and global ones as 64-bit GSL_INDEX);
 * - LOCAL_SIZE() is a power of two, at most GSL_MAX_LOCAL_SIZE (the launchers guarantee both);
 * - __local/__shared__ arrays are declared in the kernel body (OpenCL C allows them nowhere else)
 *   and handed to helpers as LOCAL_PTR pointers;
 * - every BARRIER() is reached by all work-items of the group (uniform control flow);
 * - indices into tensors are GSL_INDEX (64-bit) so N*K beyond 2^31 works. */
#ifndef GSL_PORTABLE_H
#define GSL_PORTABLE_H

/* The launchers pass -DGSL_MAX_LOCAL_SIZE=<n> (the same constant they size groups with); the default
 * only serves a compile without the loader. */
#ifndef GSL_MAX_LOCAL_SIZE
#define GSL_MAX_LOCAL_SIZE 256
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)

#define GSL_CUDA 1

#define KERNEL extern "C" __global__
#define DEVICE_INLINE __device__ __forceinline__
#define GLOBAL
#define CONSTANT const
#define LOCAL __shared__
#define LOCAL_PTR
#define RESTRICT __restrict__
#define BARRIER() __syncthreads()

#define LOCAL_ID() ((int)threadIdx.x)
#define LOCAL_SIZE() ((int)blockDim.x)
#define GROUP_ID() ((GSL_INDEX)blockIdx.x)
#define NUM_GROUPS() ((GSL_INDEX)gridDim.x)
#define GLOBAL_ID() ((GSL_INDEX)blockIdx.x * blockDim.x + threadIdx.x)
#define GLOBAL_SIZE() ((GSL_INDEX)gridDim.x * blockDim.x)

/* long is 64-bit on Linux but 32-bit on Windows; long long is 64-bit everywhere. */
typedef long long gsl_index_t;

#define EXP(x) expf(x)
#define LOG(x) logf(x)
#define LOG1P(x) log1pf(x)
#define SQRT(x) sqrtf(x)
#define FABS(x) fabsf(x)
#define FMAX(a, b) fmaxf((a), (b))
#define FMIN(a, b) fminf((a), (b))
#define FMA(a, b, c) fmaf((a), (b), (c))
#define FLOAT_AS_UINT(x) __float_as_uint(x)
#define UINT_AS_FLOAT(x) __uint_as_float(x)

/* 32-bit integer atomics on GLOBAL int* (counters, first-index searches). Never use atomics to add
 * floats that feed results: the order would change the rounding from run to run. */
#define ATOMIC_ADD_INT(p, v) atomicAdd((p), (v))
#define ATOMIC_MIN_INT(p, v) atomicMin((p), (v))
#define ATOMIC_MAX_INT(p, v) atomicMax((p), (v))

/* NVRTC has no <math.h>, so INFINITY is spelled out from its bits. */
#define GSL_INFINITY __uint_as_float(0x7f800000u)

/* Warps of 32 lanes: the CUDA-only fast paths in reductions.h rely on it. */
#define GSL_WARP_SIZE 32
#define GSL_FULL_MASK 0xffffffffu

#else /* OpenCL C */

#define GSL_OPENCL 1

#define KERNEL __kernel
#define DEVICE_INLINE static inline
#define GLOBAL __global
#define CONSTANT __constant
#define LOCAL __local
#define LOCAL_PTR __local
#define RESTRICT restrict
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)

#define LOCAL_ID() ((int)get_local_id(0))
#define LOCAL_SIZE() ((int)get_local_size(0))
#define GROUP_ID() ((GSL_INDEX)get_group_id(0))
#define NUM_GROUPS() ((GSL_INDEX)get_num_groups(0))
#define GLOBAL_ID() ((GSL_INDEX)get_global_id(0))
#define GLOBAL_SIZE() ((GSL_INDEX)get_global_size(0))

/* long is 64-bit in OpenCL C by definition. */
typedef long gsl_index_t;

#define EXP(x) exp(x)
#define LOG(x) log(x)
#define LOG1P(x) log1p(x)
#define SQRT(x) sqrt(x)
#define FABS(x) fabs(x)
#define FMAX(a, b) fmax((a), (b))
#define FMIN(a, b) fmin((a), (b))
#define FMA(a, b, c) fma((a), (b), (c))
#define FLOAT_AS_UINT(x) as_uint(x)
#define UINT_AS_FLOAT(x) as_float(x)

#define ATOMIC_ADD_INT(p, v) atomic_add((p), (v))
#define ATOMIC_MIN_INT(p, v) atomic_min((p), (v))
#define ATOMIC_MAX_INT(p, v) atomic_max((p), (v))

#define GSL_INFINITY INFINITY

/* float64 state vectors and accumulators of the solvers; every device this project targets has it
 * (PoCL on the CPU, NVIDIA's OpenCL). */
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#endif

/* A 64-bit signed index, the type of every row/column/element index and count argument. */
#define GSL_INDEX gsl_index_t

#ifndef INFINITY
#define INFINITY GSL_INFINITY
#endif
#define GSL_NEG_INFINITY (-GSL_INFINITY)

/* double-precision math: both languages overload exp/log/fabs/fmax on double. */
#define DEXP(x) exp(x)
#define DLOG(x) log(x)
#define DLOG1P(x) log1p(x)
#define DFABS(x) fabs(x)
#define DFMAX(a, b) fmax((a), (b))
#define DFMIN(a, b) fmin((a), (b))

/* Bit test instead of isfinite(): it cannot be folded away by fast-math options and needs no header. */
#define IS_FINITE(x) ((FLOAT_AS_UINT(x) & 0x7f800000u) != 0x7f800000u)

#endif /* GSL_PORTABLE_H */
