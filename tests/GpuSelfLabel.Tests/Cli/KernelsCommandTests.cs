using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl kernels</c>: one PTX file per family from either source, and exit 2 on what it cannot do.</summary>
public sealed class KernelsCommandTests
{
    [Fact]
    public void Ilgpu_writes_each_embedded_family_module_as_it_is()
    {
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("kernels", "--source", "ilgpu", "--arch", "sm_90", "--out", gsl.OutDir));
        Assert.Equal(IlgpuPtx.Families.Select(f => f + ".ptx"), Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var family in IlgpuPtx.Families)
        {
            Assert.Equal(IlgpuPtx.Text(family), File.ReadAllText(Path.Combine(gsl.OutDir, family + ".ptx")));
        }
    }

    [SkippableFact]
    public void Nvrtc_compiles_every_kernel_file_for_the_architecture()
    {
        BackendTestBase.RequireOrSkip("nvrtc", NvrtcCompiler.TryLoad(out var reason), reason);
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("kernels", "--source", "nvrtc", "--arch", "sm_90", "--out", gsl.OutDir));
        foreach (var file in KernelSources.Files)
        {
            string ptx = File.ReadAllText(Path.Combine(gsl.OutDir, Path.GetFileNameWithoutExtension(file) + ".ptx"));
            Assert.Contains(".target sm_90", ptx, StringComparison.Ordinal);
            Assert.DoesNotContain("\0", ptx, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--source", "ilgpu", "--arch", "sm_75")] // ILGPU's modules target sm_80
    [InlineData("--source", "ilgpu", "--arch", "ninety")]
    [InlineData("--source", "cuda", "--arch", "sm_90")]
    public void Refuses_what_it_cannot_write_with_exit_2(string sourceOption, string source, string archOption, string arch)
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("kernels", sourceOption, source, archOption, arch, "--out", gsl.OutDir));
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }

    [Fact]
    public void Takes_backend_as_every_command_does_and_checks_its_name()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("kernels", "--source", "ilgpu", "--backend", "bogus", "--out", gsl.OutDir));
        Assert.Equal("gsl: argument 'backend': 'bogus' is not one of auto, cpu, opencl, cuda", gsl.Stderr.Trim());
        Assert.False(Directory.Exists(gsl.OutDir));
        Assert.Equal(0, gsl.Run("kernels", "--source", "ilgpu", "--backend", "cpu", "--out", gsl.OutDir));
        Assert.Equal(IlgpuPtx.Families.Count, Directory.GetFiles(gsl.OutDir).Length);
    }

    [Fact]
    public void Refuses_a_non_empty_output_folder()
    {
        using var gsl = new GslRunner();
        Directory.CreateDirectory(gsl.OutDir);
        File.WriteAllText(Path.Combine(gsl.OutDir, "keep.txt"), "mine");
        Assert.Equal(2, gsl.Run("kernels", "--source", "ilgpu", "--out", gsl.OutDir));
        Assert.Contains("not empty", gsl.Stderr, StringComparison.Ordinal);
    }
}
