/* A stand-in for libcuda.so.1 that checks the C# CUDA backend's driver calls on a machine without a
 * GPU: the call sequence (context current before every call, retains balanced, frees matched),
 * the PTX NVRTC produced (target sm_90, the requested entry points), launch shapes, and the
 * kernel-parameter marshalling of cuLaunchKernel, by running each known kernel as plain C on host
 * memory posing as device memory. It says nothing about the device code itself: PoCL runs that.
 * Used by run-cuda-tests.sh; not part of the build or of scripts/test.sh. */
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long CUdeviceptr;

enum { OK = 0, FAILED = 1, NO_CONTEXT = 201, BAD_IMAGE = 218, NOT_FOUND = 500 };
enum { FORWARD = 1, BACKWARD = 2, VALIDATE = 3 };

static int context_token;
static void *current;
static int retains;

#define MAX_ALLOCATIONS 100000
static struct { CUdeviceptr start; size_t size; } allocations[MAX_ALLOCATIONS];
static int allocation_count;

#define MAX_MODULES 64
static char *modules[MAX_MODULES];
static int module_count;

static int complain(const char *what)
{
    fprintf(stderr, "fake libcuda: %s\n", what);
    return FAILED;
}

static int need_context(const char *call)
{
    if (current != &context_token)
    {
        fprintf(stderr, "fake libcuda: %s without the primary context current\n", call);
        return NO_CONTEXT;
    }
    return OK;
}

/* xunit runs test classes on several threads at once, so the allocation table is shared state. */
static pthread_mutex_t allocations_lock = PTHREAD_MUTEX_INITIALIZER;

static int in_allocation(CUdeviceptr p, size_t bytes)
{
    pthread_mutex_lock(&allocations_lock);
    for (int i = 0; i < allocation_count; i++)
    {
        if (p >= allocations[i].start && p + bytes <= allocations[i].start + allocations[i].size)
        {
            pthread_mutex_unlock(&allocations_lock);
            return 1;
        }
    }
    pthread_mutex_unlock(&allocations_lock);
    fprintf(stderr, "fake libcuda: %zu bytes at %llx are not device memory\n", bytes, p);
    return 0;
}

int cuInit(unsigned flags) { return flags == 0 ? OK : FAILED; }
int cuDriverGetVersion(int *v) { *v = 13000; return OK; }
int cuDeviceGetCount(int *c) { *c = 1; return OK; }
int cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? OK : FAILED; }
int cuDeviceGetName(char *name, int length, int d) { snprintf(name, (size_t)length, "Fake H100"); return OK; }
int cuDeviceTotalMem_v2(size_t *bytes, int d) { *bytes = (size_t)80 << 30; return OK; }

int cuDeviceGetAttribute(int *v, int attribute, int d)
{
    switch (attribute)
    {
        case 1: *v = 1024; return OK;  /* max threads per block */
        case 16: *v = 132; return OK;  /* multiprocessors */
        case 75: *v = 9; return OK;    /* compute capability major */
        case 76: *v = 0; return OK;    /* compute capability minor */
        default: return complain("unexpected device attribute");
    }
}

int cuDevicePrimaryCtxRetain(void **context, int d) { retains++; *context = &context_token; return OK; }
int cuDevicePrimaryCtxRelease_v2(int d) { return --retains >= 0 ? OK : complain("primary context released more often than retained"); }
int cuCtxSetCurrent(void *context) { if (context != &context_token) return complain("unknown context"); current = context; return OK; }
int cuCtxSynchronize(void) { return need_context("cuCtxSynchronize"); }
int cuStreamSynchronize(void *stream) { return need_context("cuStreamSynchronize"); }
int cuGetErrorName(int e, const char **s) { *s = "CUDA_ERROR_FAKE"; return OK; }
int cuGetErrorString(int e, const char **s) { *s = "the fake driver refused the call"; return OK; }

int cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options, void **values)
{
    if (need_context("cuModuleLoadDataEx")) return NO_CONTEXT;
    const char *ptx = (const char *)image;
    if (!strstr(ptx, ".entry") || !strstr(ptx, ".target sm_90") || module_count == MAX_MODULES) return BAD_IMAGE;
    modules[module_count] = strdup(ptx);
    *module = (void *)(intptr_t)++module_count;
    return OK;
}

int cuModuleLoadData(void **module, const void *image) { return cuModuleLoadDataEx(module, image, 0, 0, 0); }
int cuModuleUnload(void *module) { return need_context("cuModuleUnload"); }

int cuModuleGetFunction(void **function, void *module, const char *name)
{
    char entry[256];
    snprintf(entry, sizeof entry, ".entry %s(", name);
    if (!strstr(modules[(intptr_t)module - 1], entry)) return NOT_FOUND;
    if (!strcmp(name, "softmax_forward_rows")) *function = (void *)FORWARD;
    else if (!strcmp(name, "softmax_backward_rows")) *function = (void *)BACKWARD;
    else if (!strcmp(name, "validate_rows")) *function = (void *)VALIDATE;
    else return NOT_FOUND;
    return OK;
}

int cuFuncGetAttribute(int *v, int attribute, void *function) { *v = attribute == 0 ? 1024 : 0; return OK; }

int cuMemAlloc_v2(CUdeviceptr *p, size_t bytes)
{
    if (need_context("cuMemAlloc")) return NO_CONTEXT;
    pthread_mutex_lock(&allocations_lock);
    if (allocation_count == MAX_ALLOCATIONS)
    {
        pthread_mutex_unlock(&allocations_lock);
        return complain("too many allocations");
    }
    *p = (CUdeviceptr)malloc(bytes);
    allocations[allocation_count].start = *p;
    allocations[allocation_count].size = bytes;
    allocation_count++;
    pthread_mutex_unlock(&allocations_lock);
    return OK;
}

int cuMemFree_v2(CUdeviceptr p)
{
    if (need_context("cuMemFree")) return NO_CONTEXT;
    pthread_mutex_lock(&allocations_lock);
    for (int i = 0; i < allocation_count; i++)
    {
        if (allocations[i].start == p)
        {
            free((void *)p);
            allocations[i] = allocations[--allocation_count];
            pthread_mutex_unlock(&allocations_lock);
            return OK;
        }
    }
    pthread_mutex_unlock(&allocations_lock);
    return complain("free of memory that was not allocated (or twice)");
}

int cuMemGetAddressRange_v2(CUdeviceptr *start, size_t *size, CUdeviceptr p)
{
    int status = FAILED;
    pthread_mutex_lock(&allocations_lock);
    for (int i = 0; i < allocation_count; i++)
    {
        if (p >= allocations[i].start && p < allocations[i].start + allocations[i].size)
        {
            *start = allocations[i].start;
            *size = allocations[i].size;
            status = OK;
            break;
        }
    }
    pthread_mutex_unlock(&allocations_lock);
    return status;
}

int cuPointerGetAttribute(void *data, int attribute, CUdeviceptr p) { return FAILED; }

int cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *stream)
{
    if (need_context("cuMemcpyHtoDAsync") || !in_allocation(d, n)) return FAILED;
    memcpy((void *)d, s, n);
    return OK;
}

int cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *stream)
{
    if (need_context("cuMemcpyDtoHAsync") || !in_allocation(s, n)) return FAILED;
    memcpy(d, (void *)s, n);
    return OK;
}

int cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) { return cuMemcpyHtoDAsync_v2(d, s, n, 0); }
int cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) { return cuMemcpyDtoHAsync_v2(d, s, n, 0); }

#define ARG(type, i) (*(type *)params[i])

static int forward(void **params)
{
    float *z = ARG(float *, 0), *out = ARG(float *, 1);
    long long rows = ARG(long long, 2), cols = ARG(long long, 3);
    float scale = ARG(float, 4);
    int logarithm = ARG(int, 5);
    if (!in_allocation((CUdeviceptr)z, rows * cols * 4) || !in_allocation((CUdeviceptr)out, rows * cols * 4)) return FAILED;
    for (long long r = 0; r < rows; r++)
    {
        const float *zr = z + r * cols;
        float m = -INFINITY;
        double sum = 0;
        for (long long k = 0; k < cols; k++) m = fmaxf(m, zr[k]);
        for (long long k = 0; k < cols; k++) sum += exp((double)(zr[k] - m) * scale);
        for (long long k = 0; k < cols; k++)
        {
            double x = (double)(zr[k] - m) * scale;
            out[r * cols + k] = (float)(logarithm ? x - log(sum) : exp(x) / sum);
        }
    }
    return OK;
}

static int backward(void **params)
{
    float *p = ARG(float *, 0), *g = ARG(float *, 1), *d = ARG(float *, 2);
    long long rows = ARG(long long, 3), cols = ARG(long long, 4);
    float scale = ARG(float, 5);
    int logarithm = ARG(int, 6);
    size_t bytes = (size_t)(rows * cols * 4);
    if (!in_allocation((CUdeviceptr)p, bytes) || !in_allocation((CUdeviceptr)g, bytes) || !in_allocation((CUdeviceptr)d, bytes)) return FAILED;
    if (logarithm != 0 && logarithm != 1) return complain("softmax_backward_rows: logarithm is neither 0 nor 1");
    /* With logarithm, p holds ln sigma and g = dL/d(ln sigma): d = (g - exp(ln sigma) sum g) / tau. */
    for (long long r = 0; r < rows; r++)
    {
        double dot = 0;
        for (long long k = 0; k < cols; k++) dot += logarithm ? (double)g[r * cols + k] : (double)g[r * cols + k] * p[r * cols + k];
        for (long long k = 0; k < cols; k++)
        {
            double gk = g[r * cols + k], pk = p[r * cols + k];
            d[r * cols + k] = (float)((logarithm ? gk - exp(pk) * dot : (gk - dot) * pk) * scale);
        }
    }
    return OK;
}

static int validate(void **params, unsigned groups)
{
    float *x = ARG(float *, 0);
    long long rows = ARG(long long, 1), cols = ARG(long long, 2), first = ARG(long long, 3);
    int check = ARG(int, 4);
    float tolerance = ARG(float, 5);
    long long *first_bad = ARG(long long *, 6);
    int dtype = ARG(int, 7);
    if (!in_allocation((CUdeviceptr)x, rows * cols * 4) || !in_allocation((CUdeviceptr)first_bad, groups * 8)) return FAILED;
    /* The stand-in reads float32 only (dtype 0); float16 and bfloat16 storage run on a real GPU or PoCL. */
    if (dtype != 0) return complain("validate_rows: the stand-in reads float32 rows only");
    if (check < 0 || check > 2 || !(tolerance > 0.0005f && tolerance <= 0.001f) || first < 0 || first >= rows) return complain("validate_rows arguments out of range");
    for (unsigned group = 0; group < groups; group++)
    {
        long long found = -1;
        for (long long r = first + group; r < rows && found < 0; r += groups)
        {
            int bad = 0;
            float sum = 0;
            for (long long k = 0; k < cols; k++)
            {
                float v = x[r * cols + k];
                if (!isfinite(v) || (check == 1 && v < 0) || (check == 2 && !(v > 0))) bad = 1;
                sum += v;
            }
            if (bad || (check != 0 && !(fabsf(sum - 1) <= tolerance))) found = r;
        }
        first_bad[group] = found;
    }
    return OK;
}

int cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void *stream, void **params, void **extra)
{
    if (need_context("cuLaunchKernel")) return NO_CONTEXT;
    if (gx == 0 || gy != 1 || gz != 1 || by != 1 || bz != 1 || bx == 0 || bx > 256 || (bx & (bx - 1)) || shared || extra)
    {
        return complain("launch shape is not one power-of-two dimension of at most 256 threads");
    }
    switch ((intptr_t)function)
    {
        case FORWARD: return forward(params);
        case BACKWARD: return backward(params);
        case VALIDATE: return validate(params, gx);
        default: return complain("unknown function");
    }
}
