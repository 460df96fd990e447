using GpuSelfLabel.Backends;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// <c>gsl op … --backend &lt;name&gt;</c> and <c>gsl devices</c> for one backend, written once and bound
/// per GPU backend in Backends/OpenClBindings.cs and Backends/CudaBindings.cs.
/// </summary>
public abstract class BackendOpTestsBase : BackendTestBase
{
    [SkippableFact]
    public void Softmax_ops_run_on_the_backend()
    {
        _ = Backend;
        using var gsl = new GslRunner();
        var z = TestData.Logits(33, 300, seed: 5);
        string logits = gsl.Input("z", z, 33, 300);
        Assert.Equal(0, gsl.Run("op", "softmax", "--logits", logits, "--out", gsl.OutDir, "--overwrite", "--backend", BackendName, "--temperature", "0.5"));
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), 33, 300, 0.5), gsl.Output("probs").Floats, "probs");
        Assert.Equal(0, gsl.Run("op", "log-softmax", "--logits", logits, "--out", gsl.OutDir, "--overwrite", "--backend", BackendName));
        Approx.Elementwise(Float64.LogSoftmax(Float64.Widen(z), 33, 300), gsl.Output("logprobs").Floats, "logprobs");

        var p = Float64.Softmax(Float64.Widen(z), 33, 300).Select(v => (float)v).ToArray();
        var g = TestData.Logits(33, 300, seed: 6, scale: 1.0);
        Assert.Equal(0, gsl.Run("op", "softmax-backward", "--probs", gsl.Input("p", p, 33, 300), "--grad", gsl.Input("g", g, 33, 300), "--out", gsl.OutDir, "--overwrite", "--backend", BackendName));
        using var cpuProbs = Backend.Cpu.FromArray(p, 33, 300);
        using var cpuGrad = Backend.Cpu.FromArray(g, 33, 300);
        using var cpuD = Softmax.Backward(cpuProbs, cpuGrad);
        Approx.Elementwise(Approx.Widen(cpuD.ToArray()), gsl.Output("dlogits").Floats, "dlogits", 2 * Approx.Relative, 2 * Approx.Absolute);
    }

    [SkippableFact]
    public void Bad_input_is_exit_2_naming_argument_and_row()
    {
        _ = Backend;
        using var gsl = new GslRunner();
        var z = TestData.Logits(40, 5, seed: 2);
        z[(37 * 5) + 4] = float.NaN;
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", gsl.Input("z", z, 40, 5), "--out", gsl.OutDir, "--overwrite", "--backend", BackendName));
        Assert.Contains("argument 'logits', row 37", gsl.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Devices_lists_the_backend_as_available_with_its_device()
    {
        var backend = Backend;
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("devices"));
        var line = gsl.Stdout.Split('\n').Single(l => l.StartsWith(BackendName + " ", StringComparison.Ordinal));
        Assert.Contains("available", line, StringComparison.Ordinal);
        Assert.DoesNotContain("unavailable", line, StringComparison.Ordinal);
        Assert.Contains(backend.DeviceName, line, StringComparison.Ordinal);
    }
}
