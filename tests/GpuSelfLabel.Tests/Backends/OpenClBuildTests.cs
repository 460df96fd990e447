using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.OpenCl;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// Every kernel file builds as OpenCL C on the OpenCL device, and a failed build carries the build
/// log. Skips without an OpenCL device unless GSL_REQUIRE_BACKENDS contains "opencl".
/// </summary>
public sealed class OpenClBuildTests : BackendTestBase
{
    protected override string BackendName => "opencl";

    private OpenClBackend ClBackend => (OpenClBackend)Backend;

    [SkippableTheory]
    [MemberData(nameof(KernelFiles.Embedded), MemberType = typeof(KernelFiles))]
    public void Kernel_file_builds_as_opencl_c(string file) => ClBackend.Programs.Build(file);

    [SkippableFact]
    public void A_build_error_reports_the_build_log()
    {
        var e = Assert.Throws<GslDeviceException>(() =>
            ClBackend.Programs.Compile("broken.cl", "__kernel void broken(__global float* x) { x[0] = undefined_name; }").Dispose());
        Assert.Equal("CL_BUILD_PROGRAM_FAILURE", e.NativeError);
        Assert.Contains("undefined_name", e.BuildLog, StringComparison.Ordinal);
        Assert.Contains("build log", e.Message, StringComparison.Ordinal);
        Assert.Contains("broken.cl", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_device_is_described_with_its_memory()
    {
        Assert.Contains("GiB global memory", ClBackend.DeviceName, StringComparison.Ordinal);
        Assert.True(ClBackend.GlobalMemoryBytes > 0);
    }

    [SkippableFact]
    public void A_failed_launch_names_the_kernel_and_status()
    {
        var kernel = ClBackend.Programs.Kernel("softmax.cu", "softmax_forward_rows");
        Assert.True(kernel.MaxGroupSize >= 1);
        using var logits = Upload([1f, 2f], 1, 2);
        using var foreign = Backend.Cpu.FromArray([1f, 2f], 1, 2);

        // A CPU tensor handed to a GPU launcher is a programming error the launcher must catch.
        var e = Assert.Throws<InvalidOperationException>(() => ClBackend.Kernels.SoftmaxForward(foreign, logits, 1f, false));
        Assert.Contains("softmax_forward_rows", e.Message, StringComparison.Ordinal);
    }
}
