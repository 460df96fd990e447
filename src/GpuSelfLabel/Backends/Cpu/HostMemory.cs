using System.Globalization;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Free host memory as the CPU backend reports it to planners: /proc/meminfo's MemAvailable, which
/// counts reclaimable page cache (a process's own view of the heap would be far too low).
/// </summary>
internal static class HostMemory
{
    /// <summary>MemAvailable where the kernel reports it, else what the runtime believes it may use.</summary>
    public static long Available()
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
