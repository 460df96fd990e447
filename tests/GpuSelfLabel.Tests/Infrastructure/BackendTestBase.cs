using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// Base of every per-family test class. A family's tests are written once against
/// <see cref="Backend"/>; a small subclass per backend binds them. A backend that cannot run here
/// skips visibly with its reason, unless GSL_REQUIRE_BACKENDS names it (CI), in which case it fails.
/// </summary>
public abstract class BackendTestBase
{
    /// <summary>"cpu", "opencl" or "cuda".</summary>
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

                Skip.If(true, $"{BackendName} unavailable: {e.Message}");
                throw;
            }
        }
    }

    /// <summary>Backends named in GSL_REQUIRE_BACKENDS (comma-separated).</summary>
    public static IReadOnlySet<string> RequiredBackends { get; } =
        (Environment.GetEnvironmentVariable("GSL_REQUIRE_BACKENDS") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Uploads host data to the backend under test.</summary>
    protected Tensor Upload(float[] data, params long[] shape) => Backend.FromArray(data, shape);
}
