namespace GpuSelfLabel;

/// <summary>
/// Bad input to an operation. The message names the argument and, where it applies, the first
/// offending row, so a user (or the <c>gsl</c> command, which prints it as one line) can fix the data.
/// </summary>
public sealed class GslArgumentException : ArgumentException
{
    private readonly string problem;

    /// <summary>Creates the exception for <paramref name="argument"/>, optionally pointing at a row.</summary>
    public GslArgumentException(string argument, string problem, long? row = null)
        : base(problem, argument)
    {
        Argument = argument;
        Row = row;
        this.problem = problem;
    }

    /// <summary>The argument (as named in the API and in <c>gsl op</c>) that was wrong.</summary>
    public string Argument { get; }

    /// <summary>What is wrong, without the argument and row ("must be &gt; 0, got 0").</summary>
    public string Problem => problem;

    /// <summary>The first offending row (0-based), when the problem is in the data of one row.</summary>
    public long? Row { get; }

    /// <summary>One line: "argument 'targets', row 3: entries must be ≥ 0 …".</summary>
    public override string Message =>
        Row is { } r ? $"argument '{Argument}', row {r}: {problem}" : $"argument '{Argument}': {problem}";
}
