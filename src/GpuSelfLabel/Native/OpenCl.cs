using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// OpenCL 1.2 host API (the subset the OpenCL backend uses), through the ICD loader libOpenCL.so.1.
/// Handles are raw <see cref="nint"/> values here; ownership lives in the SafeHandle classes of
/// OpenClHandles.cs. Every entry point returns or writes a cl_int status that callers pass to
/// <see cref="Check"/>.
/// </summary>
internal static unsafe partial class OpenCl
{
    private const string Lib = NativeLibraries.OpenClName;

    static OpenCl() => NativeLibraries.EnsureResolver();

    [LibraryImport(Lib)]
    internal static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);

    [LibraryImport(Lib)]
    internal static partial int clGetPlatformInfo(nint platform, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Lib)]
    internal static partial int clGetDeviceIDs(nint platform, ulong deviceType, uint numEntries, nint* devices, uint* numDevices);

    [LibraryImport(Lib)]
    internal static partial int clGetDeviceInfo(nint device, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Lib)]
    internal static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial int clReleaseContext(nint context);

    [LibraryImport(Lib)]
    internal static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial int clReleaseCommandQueue(nint queue);

    [LibraryImport(Lib)]
    internal static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial nint clCreateSubBuffer(nint buffer, ulong flags, uint createType, void* createInfo, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial int clRetainMemObject(nint memobj);

    [LibraryImport(Lib)]
    internal static partial int clReleaseMemObject(nint memobj);

    [LibraryImport(Lib)]
    internal static partial int clGetMemObjectInfo(nint memobj, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Lib)]
    internal static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blockingRead, nuint offset, nuint size, void* ptr, uint numEventsInWaitList, nint* eventWaitList, nint* evt);

    [LibraryImport(Lib)]
    internal static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blockingWrite, nuint offset, nuint size, void* ptr, uint numEventsInWaitList, nint* eventWaitList, nint* evt);

    [LibraryImport(Lib)]
    internal static partial int clEnqueueCopyBuffer(nint queue, nint srcBuffer, nint dstBuffer, nuint srcOffset, nuint dstOffset, nuint size, uint numEventsInWaitList, nint* eventWaitList, nint* evt);

    [LibraryImport(Lib)]
    internal static partial int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size, uint numEventsInWaitList, nint* eventWaitList, nint* evt);

    [LibraryImport(Lib)]
    internal static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial int clBuildProgram(nint program, uint numDevices, nint* deviceList, byte* options, nint notify, nint userData);

    [LibraryImport(Lib)]
    internal static partial int clGetProgramBuildInfo(nint program, nint device, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Lib)]
    internal static partial int clReleaseProgram(nint program);

    [LibraryImport(Lib)]
    internal static partial nint clCreateKernel(nint program, byte* kernelName, int* errcodeRet);

    [LibraryImport(Lib)]
    internal static partial int clReleaseKernel(nint kernel);

    [LibraryImport(Lib)]
    internal static partial int clSetKernelArg(nint kernel, uint argIndex, nuint argSize, void* argValue);

    [LibraryImport(Lib)]
    internal static partial int clGetKernelWorkGroupInfo(nint kernel, nint device, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Lib)]
    internal static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalWorkOffset, nuint* globalWorkSize, nuint* localWorkSize, uint numEventsInWaitList, nint* eventWaitList, nint* evt);

    [LibraryImport(Lib)]
    internal static partial int clFlush(nint queue);

    [LibraryImport(Lib)]
    internal static partial int clFinish(nint queue);
}
