using GpuSelfLabel.Backends;
using GpuSelfLabel.Native;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>An unusable backend says which of "no library", "no driver", "no device" happened, everywhere it is reported.</summary>
public sealed class BackendAvailabilityTests
{
    [Theory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void Probe_and_devices_give_the_reason_a_backend_is_unavailable(string name)
    {
        var status = BackendRegistry.Probe().Single(s => s.Name == name);
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("devices"));
        var line = gsl.Stdout.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains(status.Detail, line, StringComparison.Ordinal);
        if (status.Available)
        {
            return;
        }

        Assert.Matches("^no (library|driver|device): ", status.Detail);
        var e = Assert.Throws<BackendUnavailableException>(() => BackendRegistry.Open(name));
        Assert.StartsWith(name + ": no ", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, gsl.Run("op", "softmax", "--logits", gsl.Input("z", [1f, 2f], 1, 2), "--out", gsl.OutDir, "--backend", name));
        Assert.Contains(status.Detail, gsl.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Cuda_without_a_driver_says_libcuda_is_missing()
    {
        Skip.If(NativeLibraries.TryLoad(NativeLibraryKind.Cuda, out var loaded, out _), $"the CUDA driver library is present here ({loaded})");
        var status = BackendRegistry.Probe().Single(s => s.Name == "cuda");
        Assert.False(status.Available);
        Assert.Equal("no driver: libcuda.so.1 not found", status.Detail);
    }
}
