using System.CommandLine;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Cli;

/// <summary>The <c>--backend auto|cpu|opencl|cuda</c> option every command takes.</summary>
internal static class BackendChoice
{
    public static Option<string> CreateOption() => new("--backend")
    {
        Description = "auto (CUDA if usable, else CPU), cpu, opencl or cuda",
        DefaultValueFactory = _ => "auto",
    };

    public static Backend Open(string name)
    {
        try
        {
            return BackendRegistry.Open(name);
        }
        catch (BackendUnavailableException e)
        {
            // The user asked for a backend this machine cannot run: a device error (exit 1), with the reason.
            throw new GslDeviceException(e.Message, e);
        }
    }
}
