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
}
