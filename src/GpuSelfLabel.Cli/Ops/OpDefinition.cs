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

    /// <summary>The names of the outputs the operation can write (NAME.npy), in cli.md's order; <c>--outputs</c> picks among them.</summary>
    public abstract IReadOnlyList<string> OutputNames { get; }

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
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Directory for NAME.npy outputs (required), created if needed; {OutputSet.Rule}" };
        var overwrite = OutputSet.OverwriteOption();
        var selection = new Option<string?>("--outputs")
        {
            Description = $"Comma-separated outputs to write, of {string.Join(", ", OutputNames)} (default: all)",
        };
        command.Options.Add(backend);
        command.Options.Add(output);
        command.Options.Add(overwrite);
        command.Options.Add(selection);
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

                var wanted = Selected(parse.GetValue(selection));
                using var context = new OpContext(parse, BackendChoice.Open(parse.GetValue(backend)!), files, wanted);
                Execute(context);
                if (context.Missing.FirstOrDefault() is { } missing)
                {
                    throw new UsageException($"argument 'outputs': this run does not produce '{missing}' (it needs an optional input; see gsl op {Name} --help)");
                }

                context.Outputs.Commit(directory.FullName, parse.GetValue(overwrite));
                foreach (var warning in context.Warnings)
                {
                    error.WriteLine($"gsl op {Name}: warning: {warning}");
                }

                parse.InvocationConfiguration.Output.WriteLine(
                    $"{Name}: wrote {string.Join(", ", context.Outputs.Files.Select(f => $"{f.FileName} {f.Shape}"))} to {directory.FullName}");
                return ExitCodes.Success;
            });
        });
        return command;
    }

    /// <summary>The outputs <c>--outputs</c> names (null when it is absent: all); an unknown or empty name is a usage error.</summary>
    private HashSet<string>? Selected(string? list)
    {
        if (list is null)
        {
            return null;
        }

        var names = list.Split(',', StringSplitOptions.TrimEntries);
        var selected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!OutputNames.Contains(name))
            {
                string shown = name.Length == 0 ? "an empty name" : $"'{name}'";
                throw new UsageException($"argument 'outputs': {shown} is not an output of {Name}; valid: {string.Join(", ", OutputNames)}");
            }

            selected.Add(name);
        }

        return selected;
    }
}
