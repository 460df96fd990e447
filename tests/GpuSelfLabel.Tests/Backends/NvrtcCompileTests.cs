using System.Text;
using System.Text.RegularExpressions;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// Every kernel file compiles with NVRTC for compute_90 (H100), through the loader and options the
/// CUDA backend uses, so CUDA-only paths (warp shuffles) are compiled on machines with no GPU.
/// Skips without libnvrtc unless GSL_REQUIRE_BACKENDS contains "nvrtc".
/// </summary>
public sealed partial class NvrtcCompileTests
{
    [SkippableTheory]
    [MemberData(nameof(KernelFiles.Embedded), MemberType = typeof(KernelFiles))]
    public void Kernel_file_compiles_for_compute_90(string file)
    {
        RequireNvrtc();
        Assert.Contains(90, NvrtcCompiler.SupportedArchitectures);
        string ptx = Encoding.UTF8.GetString(NvrtcCompiler.Ptx(file, 90, useCache: false));
        Assert.Contains(".target sm_90", ptx, StringComparison.Ordinal);
        foreach (Match kernel in KernelDeclaration().Matches(KernelSources.Raw(file)))
        {
            Assert.Contains($".entry {kernel.Groups[1].Value}(", ptx, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void A_compile_error_reports_nvrtc_log()
    {
        RequireNvrtc();
        var e = Assert.Throws<GslDeviceException>(() =>
            NvrtcCompiler.Compile("extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu", NvrtcCompiler.Options(90)));
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.NativeError);
        Assert.Contains("undefined_name", e.BuildLog, StringComparison.Ordinal);
        Assert.Contains("undefined_name", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Architecture_choice_falls_back_to_the_newest_known()
    {
        RequireNvrtc();
        Assert.Equal(90, NvrtcCompiler.ChooseArchitecture(90));
        Assert.Equal(NvrtcCompiler.SupportedArchitectures[^1], NvrtcCompiler.ChooseArchitecture(990));
        Assert.Throws<GslDeviceException>(() => NvrtcCompiler.ChooseArchitecture(10));
    }

    [Fact]
    public void An_nvrtc_newer_than_the_driver_is_refused_with_the_way_out()
    {
        NvrtcCompiler.RequireLoadableByDriver(13000, (13, 0));
        NvrtcCompiler.RequireLoadableByDriver(13000, (12, 8));
        NvrtcCompiler.RequireLoadableByDriver(12040, (11, 8));
        var e = Assert.Throws<GslDeviceException>(() => NvrtcCompiler.RequireLoadableByDriver(13000, (13, 1)));
        Assert.Contains("NVRTC 13.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA 13.0 driver", e.Message, StringComparison.Ordinal);
        Assert.Contains("GSL_NVRTC_LIBRARY", e.Message, StringComparison.Ordinal);
        Assert.Throws<GslDeviceException>(() => NvrtcCompiler.RequireLoadableByDriver(12080, (13, 0)));
    }

    [Fact]
    public void Ptx_cache_keys_change_with_every_input()
    {
        string[] options = ["--gpu-architecture=compute_90"];
        string key = PtxCache.Key("src", options, 90, (12, 4));
        Assert.Equal(64, key.Length);
        Assert.Equal(key, PtxCache.Key("src", options, 90, (12, 4)));
        Assert.NotEqual(key, PtxCache.Key("src2", options, 90, (12, 4)));
        Assert.NotEqual(key, PtxCache.Key("src", ["--gpu-architecture=compute_80"], 90, (12, 4)));
        Assert.NotEqual(key, PtxCache.Key("src", options, 80, (12, 4)));
        Assert.NotEqual(key, PtxCache.Key("src", options, 90, (13, 0)));
    }

    private static void RequireNvrtc() =>
        BackendTestBase.RequireOrSkip("nvrtc", NvrtcCompiler.TryLoad(out var reason), reason);

    [GeneratedRegex(@"^KERNEL\s+void\s+(\w+)\s*\(", RegexOptions.Multiline)]
    private static partial Regex KernelDeclaration();
}
