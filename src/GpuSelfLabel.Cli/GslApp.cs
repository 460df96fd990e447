using System.CommandLine;
using GpuSelfLabel.Cli.Commands;

namespace GpuSelfLabel.Cli;

/// <summary>
/// The <c>gsl</c> command tree. Kept apart from <c>Main</c> so tests run it in-process with their own
/// writers and read its exit codes.
/// </summary>
internal static class GslApp
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
            SinkhornCommand.Create(cancellation),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"gsl: {parse.Errors[0].Message} (see 'gsl {string.Join(' ', parse.CommandResult.Command.Name)} --help')");
            return ExitCodes.Usage;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }
}
