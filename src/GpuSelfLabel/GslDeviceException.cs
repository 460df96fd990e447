namespace GpuSelfLabel;

/// <summary>
/// A backend or device failed: a native call returned an error, a kernel did not build, a device ran
/// out of memory. It carries the native status and message; it is never raised for bad user input.
/// </summary>
public sealed class GslDeviceException : Exception
{
    /// <summary>Creates the exception with the backend's own words.</summary>
    public GslDeviceException(string message) : base(message) { }

    /// <summary>Creates the exception with the backend's own words and the native cause.</summary>
    public GslDeviceException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an empty exception (framework convention).</summary>
    public GslDeviceException() { }

    /// <summary>
    /// Creates the exception for a failed native call: <paramref name="nativeError"/> is the native
    /// status name (CL_OUT_OF_RESOURCES, CUDA_ERROR_ILLEGAL_ADDRESS, NVRTC_ERROR_COMPILATION …) and
    /// <paramref name="buildLog"/> the compiler's log when a kernel program failed to build. The message
    /// already contains both; the properties are there for callers that want them separately.
    /// </summary>
    public GslDeviceException(string message, string? nativeError, string? buildLog)
        : base(message)
    {
        NativeError = nativeError;
        BuildLog = buildLog;
    }

    /// <summary>The native status name, when a native call failed.</summary>
    public string? NativeError { get; }

    /// <summary>The kernel compiler's log, when a kernel program failed to build.</summary>
    public string? BuildLog { get; }
}
