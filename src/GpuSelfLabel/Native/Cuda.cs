using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// CUDA driver API (libcuda.so.1), the subset the CUDA backend uses. CUresult is <see cref="int"/>,
/// CUdevice an <see cref="int"/> ordinal, CUdeviceptr a <see cref="ulong"/>, contexts, modules,
/// functions and streams raw <see cref="nint"/> values whose ownership lives in CudaHandles.cs.
/// The _v2 entry points are the ones cuda.h maps the plain names to since CUDA 4.
/// </summary>
internal static unsafe partial class Cuda
{
    private const string Lib = NativeLibraries.CudaName;

    static Cuda() => NativeLibraries.EnsureResolver();

    [LibraryImport(Lib)]
    internal static partial int cuInit(uint flags);

    [LibraryImport(Lib)]
    internal static partial int cuDriverGetVersion(int* driverVersion);

    [LibraryImport(Lib)]
    internal static partial int cuDeviceGetCount(int* count);

    [LibraryImport(Lib)]
    internal static partial int cuDeviceGet(int* device, int ordinal);

    [LibraryImport(Lib)]
    internal static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(Lib)]
    internal static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(Lib)]
    internal static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);

    [LibraryImport(Lib)]
    internal static partial int cuDevicePrimaryCtxRetain(nint* context, int device);

    [LibraryImport(Lib)]
    internal static partial int cuDevicePrimaryCtxRelease_v2(int device);

    [LibraryImport(Lib)]
    internal static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(Lib)]
    internal static partial int cuCtxSynchronize();

    [LibraryImport(Lib)]
    internal static partial int cuModuleLoadData(nint* module, void* image);

    [LibraryImport(Lib)]
    internal static partial int cuModuleLoadDataEx(nint* module, void* image, uint numOptions, int* options, void** optionValues);

    [LibraryImport(Lib)]
    internal static partial int cuModuleUnload(nint module);

    [LibraryImport(Lib)]
    internal static partial int cuModuleGetFunction(nint* function, nint module, byte* name);

    [LibraryImport(Lib)]
    internal static partial int cuFuncGetAttribute(int* value, int attribute, nint function);

    [LibraryImport(Lib)]
    internal static partial int cuLaunchKernel(nint function, uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ, uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Lib)]
    internal static partial int cuMemAlloc_v2(ulong* devicePointer, nuint bytes);

    [LibraryImport(Lib)]
    internal static partial int cuMemFree_v2(ulong devicePointer);

    [LibraryImport(Lib)]
    internal static partial int cuMemGetAddressRange_v2(ulong* baseAddress, nuint* size, ulong devicePointer);

    [LibraryImport(Lib)]
    internal static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);

    [LibraryImport(Lib)]
    internal static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);

    [LibraryImport(Lib)]
    internal static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(Lib)]
    internal static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib)]
    internal static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib)]
    internal static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);

    [LibraryImport(Lib)]
    internal static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(Lib)]
    internal static partial int cuPointerGetAttribute(void* data, int attribute, ulong pointer);

    [LibraryImport(Lib)]
    internal static partial int cuGetErrorName(int error, byte** name);

    [LibraryImport(Lib)]
    internal static partial int cuGetErrorString(int error, byte** text);
}
