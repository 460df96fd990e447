namespace GpuSelfLabel.Cli;

/// <summary>A mistake in how <c>gsl</c> was called (missing file, wrong dtype): exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }

    public UsageException() { }

    public UsageException(string message, Exception inner) : base(message, inner) { }
}
