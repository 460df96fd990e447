using System.CommandLine;
using System.Text.Json;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Json;

namespace GpuSelfLabel.Cli.Commands;

/// <summary><c>gsl devices</c>: which backends can run here, and why the others cannot.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var backend = BackendChoice.CreateOption();
        backend.Description = "auto lists every backend; cpu, opencl or cuda lists only that one";
        var command = new Command("devices", "List backends and devices, and why a backend is unavailable") { json, backend };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var statuses = BackendRegistry.Probe(parse.GetValue(backend)!);
            if (parse.GetValue(json))
            {
                var payload = new DevicesPayload([.. statuses.Select(s => new BackendEntry(s.Name, s.Available, s.Detail))]);
                output.WriteLine(JsonSerializer.Serialize(payload, CliJsonContext.Default.DevicesPayload));
                return ExitCodes.Success;
            }

            foreach (var s in statuses)
            {
                output.WriteLine($"{s.Name,-7} {(s.Available ? "available  " : "unavailable")}  {s.Detail}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    // The --json object; keys are these names in snake_case (CliJsonContext).

    /// <summary>The whole object: <c>{"backends":[…]}</c>.</summary>
    internal sealed record DevicesPayload(IReadOnlyList<BackendEntry> Backends);

    /// <summary>One backend: <c>name</c>, <c>available</c>, <c>detail</c>.</summary>
    internal sealed record BackendEntry(string Name, bool Available, string Detail);
}
