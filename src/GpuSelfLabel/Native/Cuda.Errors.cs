using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

internal static unsafe partial class Cuda
{
    /// <summary>Throws <see cref="GslDeviceException"/> naming the call and the driver's words when it failed.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw Failure(status, call);
        }
    }

    /// <summary>The exception for a failed call: "cuda: cuX failed: CUDA_ERROR_NAME (code): text".</summary>
    public static GslDeviceException Failure(int status, string call, string? detail = null, string? buildLog = null)
    {
        string name = ErrorName(status);
        string message = $"cuda: {call} failed: {name} ({status}): {ErrorText(status)}";
        if (detail is not null)
        {
            message += $" {detail}";
        }

        if (!string.IsNullOrWhiteSpace(buildLog))
        {
            message += $"\n--- log ---\n{buildLog.TrimEnd()}";
        }

        return new GslDeviceException(message, name, buildLog);
    }

    /// <summary>The driver's name for a status (CUDA_ERROR_…), or the number when the driver does not know it.</summary>
    public static string ErrorName(int status)
    {
        byte* text = null;
        return cuGetErrorName(status, &text) == Success && text != null
            ? Marshal.PtrToStringUTF8((nint)text) ?? $"CUresult {status}"
            : $"CUresult {status}";
    }

    /// <summary>The driver's sentence for a status.</summary>
    public static string ErrorText(int status)
    {
        byte* text = null;
        return cuGetErrorString(status, &text) == Success && text != null
            ? Marshal.PtrToStringUTF8((nint)text) ?? "unknown error"
            : "unknown error";
    }
}
