using System.CommandLine;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>An array input of an operation: <c>--NAME FILE.npy</c>.</summary>
internal sealed record ArrayInput(string Name, string Description, bool Required = true);

/// <summary>
/// One row of cli.md's <c>gsl op</c> table. A definition names its array inputs and parameters and
/// evaluates the operation through the public API; the plumbing (reading, backend, atomic output,
/// exit codes) is shared.
/// </summary>
internal abstract class OpDefinition
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract IReadOnlyList<ArrayInput> Inputs { get; }

    public virtual IReadOnlyList<Option> Parameters => [];

    public abstract void Execute(OpContext context);

    public Command BuildCommand()
    {
        var command = new Command(Name, Description);
        var files = new Dictionary<string, Option<FileInfo?>>(StringComparer.Ordinal);
        foreach (var input in Inputs)
        {
            var option = new Option<FileInfo?>("--" + input.Name)
            {
                Description = input.Description + (input.Required ? " (.npy, required)" : " (.npy, optional)"),
            };
            files[input.Name] = option;
            command.Options.Add(option);
        }

        foreach (var parameter in Parameters)
        {
            command.Options.Add(parameter);
        }

        var backend = BackendChoice.CreateOption();
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Directory for NAME.npy outputs, created if needed; {OutputSet.Rule}" };
        var overwrite = OutputSet.OverwriteOption();
        command.Options.Add(backend);
        command.Options.Add(output);
        command.Options.Add(overwrite);
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            return ExitCodes.Run(error, () =>
            {
                var directory = parse.GetValue(output) ?? throw new UsageException("argument 'out': is required (--out DIR)");
                OutputSet.CheckTarget(directory.FullName, parse.GetValue(overwrite));
                foreach (var input in Inputs)
                {
                    if (input.Required && parse.GetValue(files[input.Name]) is null)
                    {
                        throw new UsageException($"argument '{input.Name}': is required (--{input.Name} FILE.npy)");
                    }
                }

                using var context = new OpContext(parse, BackendChoice.Open(parse.GetValue(backend)!), files);
                Execute(context);
                context.Outputs.Commit(directory.FullName, parse.GetValue(overwrite));
                parse.InvocationConfiguration.Output.WriteLine(
                    $"{Name}: wrote {string.Join(", ", context.Outputs.Arrays.Select(a => $"{a.Name}.npy {a.Array.ShapeText}"))} to {directory.FullName}");
                return ExitCodes.Success;
            });
        });
        return command;
    }
}
