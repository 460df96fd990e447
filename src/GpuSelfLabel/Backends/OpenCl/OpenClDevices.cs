using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// Which OpenCL device the backend opens: GSL_OPENCL_DEVICE="platform:device" (indices as
/// <c>clinfo -l</c> lists them) when set, else the first GPU of any platform, else the first device
/// of any type (PoCL's CPU device on machines without a GPU). Failures are worded as
/// "no library", "no driver" or "no device".
/// </summary>
internal static class OpenClDevices
{
    public const string Variable = "GSL_OPENCL_DEVICE";

    public static (nint Platform, nint Device) Choose()
    {
        if (!NativeLibraries.TryLoad(NativeLibraryKind.OpenCl, out _, out var missing))
        {
            throw new BackendUnavailableException($"no library: {missing} (install an OpenCL ICD loader, e.g. Debian's ocl-icd-libopencl1)");
        }

        var platforms = OpenClApi.Platforms();
        if (platforms.Length == 0)
        {
            throw new BackendUnavailableException("no driver: the OpenCL loader finds no platform (install a driver: the GPU vendor's, or pocl-opencl-icd for the CPU)");
        }

        string? requested = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return Requested(platforms, requested.Trim());
        }

        foreach (var platform in platforms)
        {
            if (OpenClApi.Devices(platform, OpenClApi.DeviceTypeGpu) is [var gpu, ..])
            {
                return (platform, gpu);
            }
        }

        foreach (var platform in platforms)
        {
            if (OpenClApi.Devices(platform, OpenClApi.DeviceTypeAll) is [var any, ..])
            {
                return (platform, any);
            }
        }

        throw new BackendUnavailableException($"no device: {platforms.Length} OpenCL platform(s) but no device on any");
    }

    private static (nint Platform, nint Device) Requested(nint[] platforms, string requested)
    {
        var parts = requested.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int p) || !int.TryParse(parts[1], out int d) || p < 0 || d < 0)
        {
            throw new BackendUnavailableException($"no device: {Variable}='{requested}' is not 'platform:device' (two indices as clinfo -l lists them)");
        }

        if (p >= platforms.Length)
        {
            throw new BackendUnavailableException($"no device: {Variable}='{requested}' but there are {platforms.Length} OpenCL platform(s)");
        }

        var devices = OpenClApi.Devices(platforms[p], OpenClApi.DeviceTypeAll);
        if (d >= devices.Length)
        {
            throw new BackendUnavailableException($"no device: {Variable}='{requested}' but platform {p} has {devices.Length} device(s)");
        }

        return (platforms[p], devices[d]);
    }
}
