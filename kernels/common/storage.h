/* Score matrices stored as float32, float16 or bfloat16, read as float32: the dtype argument of the
 * kernels that accept a storage type, and the load they share. Every half and bfloat16 is exactly a
 * float, so the conversion adds no rounding and every backend sees the same values. */
#ifndef GSL_STORAGE_H
#define GSL_STORAGE_H

#include "common/gsl_portable.h"

#define GSL_FLOAT32 0
#define GSL_FLOAT16 1
#define GSL_BFLOAT16 2

/* IEEE half to float: normal, subnormal, zero, infinity, NaN. */
DEVICE_INLINE float gsl_half_to_float(unsigned int h)
{
    unsigned int sign = (h & 0x8000u) << 16;
    unsigned int exponent = (h >> 10) & 0x1fu;
    unsigned int mantissa = h & 0x3ffu;
    if (exponent == 0x1fu)
    {
        return UINT_AS_FLOAT(sign | 0x7f800000u | (mantissa << 13));
    }
    if (exponent == 0u)
    {
        /* mantissa * 2^-24: exact in float. */
        float v = (float)mantissa * 5.9604644775390625e-8f;
        return sign != 0u ? -v : v;
    }
    return UINT_AS_FLOAT(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/* Element i of a matrix stored as dtype. The base pointer has the smallest element type; bfloat16 is
 * the upper half of a float32. */
DEVICE_INLINE float gsl_load(const GLOBAL unsigned short* base, GSL_INDEX i, int dtype)
{
    if (dtype == GSL_FLOAT32)
    {
        return ((const GLOBAL float*)base)[i];
    }
    unsigned int h = base[i];
    return dtype == GSL_BFLOAT16 ? UINT_AS_FLOAT(h << 16) : gsl_half_to_float(h);
}

#endif /* GSL_STORAGE_H */
