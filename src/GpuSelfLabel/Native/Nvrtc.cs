using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// NVRTC, the CUDA run-time compiler (libnvrtc.so.13/.12/.11.2): CUDA C source to PTX in process,
/// with no nvcc and no driver needed. nvrtcResult is <see cref="int"/>; programs are raw
/// <see cref="nint"/> values owned by <see cref="NvrtcProgramHandle"/>.
/// </summary>
internal static unsafe partial class Nvrtc
{
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    private const string Lib = NativeLibraries.NvrtcName;

    static Nvrtc() => NativeLibraries.EnsureResolver();

    [LibraryImport(Lib)]
    internal static partial int nvrtcVersion(int* major, int* minor);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetNumSupportedArchs(int* numArchs);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetSupportedArchs(int* supportedArchs);

    [LibraryImport(Lib)]
    internal static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(Lib)]
    internal static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetProgramLogSize(nint program, nuint* logSizeRet);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetProgramLog(nint program, byte* log);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetPTXSize(nint program, nuint* ptxSizeRet);

    [LibraryImport(Lib)]
    internal static partial int nvrtcGetPTX(nint program, byte* ptx);

    [LibraryImport(Lib)]
    internal static partial int nvrtcDestroyProgram(nint* program);

    [LibraryImport(Lib)]
    internal static partial byte* nvrtcGetErrorString(int result);

    /// <summary>Throws <see cref="GslDeviceException"/> naming the call and NVRTC's words when it failed.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw Failure(status, call);
        }
    }

    /// <summary>The exception for a failed call, with the compile log when there is one.</summary>
    public static GslDeviceException Failure(int status, string call, string? detail = null, string? log = null)
    {
        string name = ErrorName(status);
        string message = $"nvrtc: {call} failed: {name} ({status})";
        if (detail is not null)
        {
            message += $" {detail}";
        }

        if (!string.IsNullOrWhiteSpace(log))
        {
            message += $"\n--- build log ---\n{log.TrimEnd()}";
        }

        return new GslDeviceException(message, name, log);
    }

    /// <summary>NVRTC's own name for a status (NVRTC_ERROR_COMPILATION …).</summary>
    public static string ErrorName(int status)
    {
        byte* text = nvrtcGetErrorString(status);
        return text == null ? $"nvrtcResult {status}" : Marshal.PtrToStringUTF8((nint)text) ?? $"nvrtcResult {status}";
    }
}
