using System.CommandLine;
using GpuSelfLabel.Cli.Commands;

namespace GpuSelfLabel.Cli;

/// <summary>
/// The <c>gsl</c> command tree. Kept apart from <c>Main</c> so tests run it in-process with their own
/// writers and read its exit codes.
/// </summary>
internal static partial class GslApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, output, error, CancellationToken.None);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>; <paramref name="cancellation"/> stops long commands as Ctrl-C does (tests).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var root = new RootCommand("GpuSelfLabel: self-labeled classification kernels (losses, pseudo-label solvers, clustering)")
        {
            OpCommand.Create(),
            DevicesCommand.Create(),
            ClusterCommand.Create(),
            BenchCommand.Create(),
            CheckCommand.Create(),
            SinkhornCommand.Create(cancellation),
            KernelsCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"gsl: {Describe(parse)}");
            return ExitCodes.Usage;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>
    /// The first parse error in one line with the full command path to its help ("gsl op softmax --help");
    /// under <c>gsl op</c> a missing or unknown operation is named and the valid ones listed.
    /// </summary>
    private static string Describe(ParseResult parse)
    {
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Parent is not null)
            {
                path.Insert(0, result.Command.Name);
            }
        }

        string command = string.Join(' ', ["gsl", .. path]);
        if (path is ["op"])
        {
            string operations = string.Join(", ", Ops.OpCatalog.All.Select(o => o.Name));
            return parse.UnmatchedTokens.Count > 0
                ? $"unknown operation '{parse.UnmatchedTokens[0]}'; valid operations: {operations}"
                : $"op needs an operation: {operations} (see 'gsl op NAME --help')";
        }

        if (path.Count == 0)
        {
            string commands = string.Join(", ", parse.RootCommandResult.Command.Subcommands.Select(c => c.Name));
            if (parse.UnmatchedTokens.Count == 0)
            {
                return $"a command is needed: {commands} (see 'gsl --help')";
            }

            string token = parse.UnmatchedTokens[0];
            return token.StartsWith('-')
                ? $"unknown option '{token}'; give a command first: {commands} (see 'gsl --help')"
                : $"unknown command '{token}'; commands: {commands} (see 'gsl --help')";
        }

        if (SwitchGivenAValue(parse) is { } message)
        {
            return $"{message} (see '{command} --help')";
        }

        return $"{Plain(parse.Errors[0].Message)} (see '{command} --help')";
    }

    /// <summary>
    /// "--l2-normalize maybe": the parser reports only an unrecognized 'maybe'; the user meant a value
    /// for the switch before it, so that switch is named.
    /// </summary>
    private static string? SwitchGivenAValue(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count == 0 || parse.UnmatchedTokens[0].StartsWith('-'))
        {
            return null;
        }

        string value = parse.UnmatchedTokens[0];
        var tokens = parse.Tokens;
        for (int i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value == value && tokens[i - 1].Type == System.CommandLine.Parsing.TokenType.Option)
            {
                string name = tokens[i - 1].Value;
                var option = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
                return option is not null && option.ValueType == typeof(bool)
                    ? $"argument '{option.Name.TrimStart('-')}': is a switch, on when given (or --{option.Name.TrimStart('-')} true|false), got '{value}'"
                    : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The parser's message with its .NET type names ("as expected type 'System.Nullable`1[System.Double]'")
    /// said in the user's terms ("as a number").
    /// </summary>
    internal static string Plain(string message) => ExpectedType().Replace(message, m => m.Groups[1].Value switch
    {
        var t when t.Contains("System.Double", StringComparison.Ordinal) || t.Contains("System.Single", StringComparison.Ordinal) => "as a number",
        var t when t.Contains("System.Int32", StringComparison.Ordinal) || t.Contains("System.Int64", StringComparison.Ordinal) => "as a whole number",
        var t when t.Contains("System.Boolean", StringComparison.Ordinal) => "as true or false",
        var t when t.Contains("DirectoryInfo", StringComparison.Ordinal) => "as a directory path",
        var t when t.Contains("FileInfo", StringComparison.Ordinal) => "as a file path",
        _ => m.Value,
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"as expected type '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();
}
