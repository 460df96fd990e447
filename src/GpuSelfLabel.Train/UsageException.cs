namespace GpuSelfLabel.Train;

/// <summary>A user mistake: exit code 2 and one line on stderr naming the argument.</summary>
internal sealed class UsageException(string argument, string message) : Exception($"{argument}: {message}")
{
    public string Argument { get; } = argument;
}
