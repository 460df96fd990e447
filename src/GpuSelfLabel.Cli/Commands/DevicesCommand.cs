using System.CommandLine;
using System.Text.Json;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Cli.Commands;

/// <summary><c>gsl devices</c>: which backends can run here, and why the others cannot.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var backend = BackendChoice.CreateOption();
        var command = new Command("devices", "List backends and devices, and why a backend is unavailable") { json, backend };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var statuses = BackendRegistry.Probe();
            if (parse.GetValue(json))
            {
                var payload = new { backends = statuses.Select(s => new { name = s.Name, available = s.Available, detail = s.Detail }) };
                output.WriteLine(JsonSerializer.Serialize(payload));
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
}
