namespace GpuSelfLabel.TorchSharp;

/// <summary>
/// TorchSharp's native library cannot be loaded on this machine. The message is one line: the cause
/// and the fix.
/// </summary>
public sealed class TorchSharpLoadException : Exception
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public TorchSharpLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its one-line message and the failure behind it.</summary>
    public TorchSharpLoadException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public TorchSharpLoadException() : base("TorchSharp's native library could not be loaded.") { }
}
