namespace GpuSelfLabel.Backends;

/// <summary>A backend that cannot run here, with the reason ("no driver", "no library", "no device" …).</summary>
public sealed class BackendUnavailableException : Exception
{
    /// <summary>Creates the exception with the reason in words.</summary>
    public BackendUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with the reason and its native cause.</summary>
    public BackendUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an empty exception (framework convention).</summary>
    public BackendUnavailableException() { }
}
