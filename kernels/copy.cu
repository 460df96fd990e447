/* The memory-bandwidth reference of `gsl bench` (not an operation of ops.md): a plain streaming copy
 * that every kernel's effective throughput is compared with.
 *
 * copy_stream(source, destination, count)
 *   reads source (count float32) once and writes destination (count float32) once; the benchmark
 *   counts 8 bytes per element moved (the STREAM convention: a write-allocate read, where the device
 *   does one, is not counted).
 *
 * A grid-stride loop with four independent loads in flight per work-item before their stores, so a
 * grid of a few thousand groups keeps enough requests outstanding to saturate DRAM; consecutive
 * work-items touch consecutive elements (coalesced). The tail loop handles any count. */
#include "common/gsl_portable.h"

KERNEL void copy_stream(const GLOBAL float* RESTRICT source, GLOBAL float* RESTRICT destination, GSL_INDEX count)
{
    GSL_INDEX stride = GLOBAL_SIZE();
    GSL_INDEX i = GLOBAL_ID();
    for (; i + 3 * stride < count; i += 4 * stride)
    {
        float a = source[i];
        float b = source[i + stride];
        float c = source[i + 2 * stride];
        float d = source[i + 3 * stride];
        destination[i] = a;
        destination[i + stride] = b;
        destination[i + 2 * stride] = c;
        destination[i + 3 * stride] = d;
    }
    for (; i < count; i += stride)
    {
        destination[i] = source[i];
    }
}
