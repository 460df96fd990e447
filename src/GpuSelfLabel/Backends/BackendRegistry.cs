using GpuSelfLabel.Backends.Cpu;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.OpenCl;

namespace GpuSelfLabel.Backends;

/// <summary>What <c>gsl devices</c> reports for one backend.</summary>
/// <param name="Name">cpu, opencl or cuda.</param>
/// <param name="Available">Whether operations can run on it here.</param>
/// <param name="Detail">The device in words when available, else why not.</param>
public sealed record BackendStatus(string Name, bool Available, string Detail);

/// <summary>
/// Opens backends by name and says which are usable. GPU backends are opened once and shared for the
/// life of the process (contexts and compiled kernels are expensive): disposing one that Open handed
/// out does nothing, so <c>using var b = BackendRegistry.Open("opencl");</c> in a method called twice
/// gets the same working backend both times.
/// </summary>
public static class BackendRegistry
{
    /// <summary>Backend names accepted by <see cref="Open"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cpu", "opencl", "cuda"];

    private static readonly Dictionary<string, Func<Backend>> Factories = new(StringComparer.Ordinal)
    {
        ["cpu"] = () => CpuBackend.Instance,
        ["opencl"] = () => OpenClBackend.Open(),
        ["cuda"] = () => CudaBackend.Open(),
    };

    private static readonly Dictionary<string, Backend> Opened = new(StringComparer.Ordinal);

    /// <summary>
    /// Opens "cpu", "opencl", "cuda" or "auto" (CUDA when a device is usable, else the CPU).
    /// Throws <see cref="BackendUnavailableException"/> with the reason when it cannot run here.
    /// </summary>
    public static Backend Open(string name)
    {
        RequireKnown(name);
        if (name == "auto")
        {
            return TryOpen("cuda", out var cuda, out _) ? cuda! : CpuBackend.Instance;
        }

        if (!TryOpen(name, out var backend, out var reason))
        {
            throw new BackendUnavailableException($"{name}: {reason}");
        }

        return backend!;
    }

    /// <summary>Every backend with whether it is usable here and why not.</summary>
    public static IReadOnlyList<BackendStatus> Probe() => Probe("auto");

    /// <summary>
    /// As <see cref="Probe()"/> for one of <see cref="Names"/>: "auto" probes every backend, any other
    /// name only that one (so asking about the CPU does not load OpenCL or CUDA).
    /// </summary>
    public static IReadOnlyList<BackendStatus> Probe(string name)
    {
        RequireKnown(name);
        return Factories.Keys.Where(n => name == "auto" || n == name).Select(n => TryOpen(n, out var b, out var why)
            ? new BackendStatus(n, true, b!.DeviceName)
            : new BackendStatus(n, false, why)).ToList();
    }

    /// <summary>Refuses a name that is not one of <see cref="Names"/>, naming the argument <c>backend</c>.</summary>
    public static void RequireKnown(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
        {
            throw new GslArgumentException("backend", $"'{name}' is not one of {string.Join(", ", Names)}");
        }
    }

    private static bool TryOpen(string name, out Backend? backend, out string reason)
    {
        lock (Opened)
        {
            if (Opened.TryGetValue(name, out backend))
            {
                reason = string.Empty;
                return true;
            }

            try
            {
                backend = Factories[name]();
                backend.SharedForProcess = true;
                Opened[name] = backend;
                reason = string.Empty;
                return true;
            }
            catch (BackendUnavailableException e)
            {
                backend = null;
                reason = e.Message;
                return false;
            }
        }
    }
}
