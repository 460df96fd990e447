using System.CommandLine;
using GpuSelfLabel.Cli.Ops;

namespace GpuSelfLabel.Cli.Commands;

/// <summary><c>gsl op NAME …</c>: one operation of ops.md evaluated on .npy files (cli.md).</summary>
internal static class OpCommand
{
    public static Command Create()
    {
        var command = new Command("op", "Evaluate one operation of ops.md on .npy files");
        foreach (var op in OpCatalog.All)
        {
            command.Subcommands.Add(op.BuildCommand());
        }

        return command;
    }
}
