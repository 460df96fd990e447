using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Bench;

/// <summary>Backends a suite runs on: the CPU always, GPU backends when they open here.</summary>
public static class BackendParameters
{
    public static IEnumerable<string> Available() =>
        BackendRegistry.Probe().Where(s => s.Available).Select(s => s.Name);
}
