using System.Diagnostics;
using GpuSelfLabel.Backends.Cuda;

namespace GpuSelfLabel.Kernels.Ilgpu.Tests;

/// <summary>
/// The PTX the core assembly embeds (kernels/ilgpu/): current with the C# sources, accepted by ptxas for
/// sm_90, and declaring the parameters the CUDA backend's packer passes.
/// </summary>
public sealed class EmbeddedPtxTests
{
    /// <summary>Backends and tools CI requires (GSL_REQUIRE_BACKENDS); "nvrtc" covers the offline CUDA checks, ptxas included.</summary>
    private static readonly HashSet<string> Required =
        (Environment.GetEnvironmentVariable("GSL_REQUIRE_BACKENDS") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Embedded_ptx_is_what_the_csharp_kernels_compile_to_now()
    {
        var compiled = IlgpuPtxCompiler.CompileAll();
        Assert.Equal(compiled.Select(c => c.Family.Family).Order(StringComparer.Ordinal), IlgpuPtx.Families);
        foreach (var (family, ptx) in compiled)
        {
            string embedded = IlgpuPtx.Text(family.Family).ReplaceLineEndings("\n");
            Assert.True(embedded == ptx.ReplaceLineEndings("\n"),
                $"kernels/ilgpu/{family.Family}.ptx is stale: regenerate it with 'dotnet run --project tools/GpuSelfLabel.IlgpuPtx' and commit it");
        }
    }

    [Fact]
    public void Every_kernel_declares_the_parameters_its_csharp_method_and_manifest_name()
    {
        foreach (var family in IlgpuKernelCatalog.Families)
        {
            string ptx = IlgpuPtx.Text(family.Family);
            var manifest = IlgpuPtx.Kernels(family.Family);
            Assert.Equal(family.Kernels.Select(k => k.Name), manifest.Keys);
            foreach (var kernel in family.Kernels)
            {
                var parameters = manifest[kernel.Name];
                var types = kernel.Method.GetParameters().Select(p => p.ParameterType).ToArray();
                Assert.Equal(types.Length, parameters.Count);
                for (int i = 0; i < types.Length; i++)
                {
                    var expected = types[i] == typeof(long) ? IlgpuParameterKind.B64
                        : types[i] == typeof(int) ? IlgpuParameterKind.B32
                        : types[i] == typeof(float) ? IlgpuParameterKind.F32
                        : types[i] == typeof(double) ? IlgpuParameterKind.F64
                        : IlgpuParameterKind.View;
                    Assert.Equal(expected, parameters[i].Kind);
                }

                // The CUDA backend refuses ILGPU's modules below IlgpuPtx.MinimumComputeCapability (sm_80).
                // ILGPU adds no hidden parameter to an explicitly grouped kernel; a view is 16 bytes (pointer, length).
                Assert.Equal(parameters.Select(p => p.Size), IlgpuPtx.DeclaredSizes(ptx, kernel.Name));
                Assert.Contains($".visible .entry {kernel.Name}(", ptx, StringComparison.Ordinal);
                Assert.Matches(@"\n\.target sm_[5-8]0\n", ptx);
            }
        }
    }

    [SkippableFact]
    public void Every_embedded_module_assembles_with_ptxas_for_sm_90()
    {
        string? ptxas = FindPtxas();
        if (ptxas is null)
        {
            const string Reason = "no ptxas (set GSL_PTXAS; scripts/test.sh fetches Debian's nvidia-cuda-toolkit for it)";
            if (Required.Contains("nvrtc"))
            {
                throw new InvalidOperationException($"GSL_REQUIRE_BACKENDS names 'nvrtc' but {Reason}");
            }

            Skip.If(true, Reason);
        }

        string folder = Directory.CreateTempSubdirectory("gsl-ilgpu-ptxas").FullName;
        try
        {
            foreach (var family in IlgpuPtx.Families)
            {
                string input = Path.Combine(folder, family + ".ptx");
                File.WriteAllText(input, IlgpuPtx.Text(family));
                var start = new ProcessStartInfo(ptxas!, ["--gpu-name", "sm_90", "-v", input, "-o", Path.Combine(folder, family + ".cubin")])
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                using var process = Process.Start(start)!;
                string log = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, $"ptxas --gpu-name sm_90 rejected {family}.ptx:\n{log}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Every_catalog_kernel_is_named_by_a_shared_launcher()
    {
        // Each catalog kernel must be reachable from a launcher, or the CUDA backend would never use it.
        var launchers = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GpuSelfLabel", "Backends", "Gpu", "GpuKernels.Softmax.cs"))
            + File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GpuSelfLabel", "Backends", "Gpu", "GpuKernels.CrossEntropy.cs"))
            + File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GpuSelfLabel", "Backends", "Gpu", "GpuKernels.Sinkhorn.cs"))
            + File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "GpuSelfLabel", "Backends", "Gpu", "GpuKernels.PseudoLabels.cs"));
        foreach (var kernel in IlgpuKernelCatalog.Families.SelectMany(f => f.Kernels))
        {
            Assert.Contains($"\"{kernel.Name}\"", launchers, StringComparison.Ordinal);
        }
    }

    private static string? FindPtxas()
    {
        string? configured = Environment.GetEnvironmentVariable("GSL_PTXAS");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"GSL_PTXAS='{configured}' does not exist");
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "ptxas"))
            .FirstOrDefault(File.Exists);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GpuSelfLabel.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GpuSelfLabel.sln not found above " + AppContext.BaseDirectory);
    }
}
