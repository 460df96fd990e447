using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cpu;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.OpenCl;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// Base of every per-family test class. A family's tests are written once against
/// <see cref="Backend"/>; a small subclass per backend binds them. A backend that cannot run here
/// skips visibly with its reason, unless GSL_REQUIRE_BACKENDS names it (CI), in which case it fails.
/// </summary>
public abstract class BackendTestBase
{
    /// <summary>"cpu", "opencl" or "cuda" (GSL_REQUIRE_BACKENDS also knows "nvrtc", see <see cref="RequireOrSkip"/>).</summary>
    protected abstract string BackendName { get; }

    /// <summary>The backend under test, or a skip/failure when it cannot run here.</summary>
    protected Backend Backend
    {
        get
        {
            try
            {
                return BackendRegistry.Open(BackendName);
            }
            catch (BackendUnavailableException e)
            {
                if (RequiredBackends.Contains(BackendName))
                {
                    throw new InvalidOperationException($"GSL_REQUIRE_BACKENDS names '{BackendName}' but it is unavailable: {e.Message}", e);
                }

                Skip.If(true, $"unavailable here: {e.Message}");
                throw;
            }
        }
    }

    /// <summary>
    /// A new instance of the backend under test that no other test shares, for tests that count what the
    /// backend does (its allocations): the shared instance counts every test class running in parallel.
    /// The caller disposes it. Skips or fails like <see cref="Backend"/> when the backend cannot run here.
    /// </summary>
    protected Backend OpenPrivateBackend()
    {
        _ = Backend;
        return BackendName switch
        {
            "opencl" => OpenClBackend.Open(),
            "cuda" => CudaBackend.Open(),
            _ => CpuBackend.Instance,
        };
    }

    /// <summary>
    /// Skips visibly when <paramref name="available"/> is false, or fails when GSL_REQUIRE_BACKENDS
    /// names <paramref name="requirement"/> ("nvrtc" for the CUDA compile tests, or a backend name).
    /// </summary>
    public static void RequireOrSkip(string requirement, bool available, string reason)
    {
        if (available)
        {
            return;
        }

        if (RequiredBackends.Contains(requirement))
        {
            throw new InvalidOperationException($"GSL_REQUIRE_BACKENDS names '{requirement}' but it is unavailable: {reason}");
        }

        Skip.If(true, $"{requirement} unavailable: {reason}");
    }

    /// <summary>Backends named in GSL_REQUIRE_BACKENDS (comma-separated).</summary>
    public static IReadOnlySet<string> RequiredBackends { get; } =
        (Environment.GetEnvironmentVariable("GSL_REQUIRE_BACKENDS") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Uploads host data to the backend under test.</summary>
    protected Tensor Upload(float[] data, params long[] shape) => Backend.FromArray(data, shape);
}
