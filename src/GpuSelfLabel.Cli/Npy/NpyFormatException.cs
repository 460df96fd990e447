namespace GpuSelfLabel.Cli.Npy;

/// <summary>A .npy file that cannot be read (wrong magic, dtype, byte order or layout).</summary>
internal sealed class NpyFormatException : Exception
{
    public NpyFormatException(string message) : base(message) { }

    public NpyFormatException() { }

    public NpyFormatException(string message, Exception inner) : base(message, inner) { }
}
