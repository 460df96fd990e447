using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Backends.OpenCl;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>Private GPU backend instances with forced launch shapes, for tests that sweep them.</summary>
internal static class GpuBackends
{
    /// <summary>A new instance of <paramref name="name"/> (not the shared one); the caller disposes it.</summary>
    public static Backend Open(string name, LaunchOverrides overrides) => name switch
    {
        "opencl" => OpenClBackend.Open(overrides),
        "cuda" => CudaBackend.Open(overrides),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a GPU backend"),
    };
}
