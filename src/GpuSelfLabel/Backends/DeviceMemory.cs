using System.Globalization;
using GpuSelfLabel.Backends.Cpu;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.OpenCl;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends;

/// <summary>
/// How much memory a backend offers a planner: the bytes it may allocate in all and the largest single
/// buffer. Estimates, on the safe side: available RAM on the CPU (/proc/meminfo's MemAvailable, which
/// counts reclaimable page cache), 90 % of a GPU's memory less what the caller already holds there.
/// </summary>
internal static class DeviceMemory
{
    private const double GpuShare = 0.9;

    /// <summary>Bytes a new allocation may take on <paramref name="backend"/>.</summary>
    public static long Available(Backend backend) => backend switch
    {
        CpuBackend => HostAvailable(),
        CudaBackend cuda => (long)(cuda.TotalMemoryBytes * GpuShare),
        OpenClBackend openCl => (long)(openCl.GlobalMemoryBytes * GpuShare),
        _ => long.MaxValue,
    };

    /// <summary>The largest single buffer <paramref name="backend"/> allocates (OpenCL's CL_DEVICE_MAX_MEM_ALLOC_SIZE).</summary>
    public static long MaxBuffer(Backend backend) => backend switch
    {
        OpenClBackend openCl => (long)OpenClApi.DeviceNumber(openCl.Device, OpenClApi.DeviceMaxMemAllocSize),
        _ => long.MaxValue,
    };

    /// <summary>MemAvailable where the kernel reports it, else what the runtime believes it may use.</summary>
    private static long HostAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
