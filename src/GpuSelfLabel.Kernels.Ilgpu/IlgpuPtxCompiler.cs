using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// Compiles the C# kernels to PTX with ILGPU's PTX backend, with no GPU and no NVVM: each kernel alone
/// (ILGPU compiles one entry point at a time), then one module per family with ILGPU's generated entry
/// names replaced by the CUDA C names, and a comment line per kernel naming its parameter kinds
/// (<c>// gsl-kernel name: view:4 view:4 b64 b64 f32 b32</c>, view:N an ArrayView of N-byte elements)
/// which the CUDA backend's argument packer reads. The output depends only on the sources and the ILGPU
/// version: a fresh context per call, kernels in catalog order.
/// </summary>
public static class IlgpuPtxCompiler
{
    /// <summary>PTX ISA 7.8: the newest that ptxas 11.8 (Debian's, the offline check) accepts; any driver since CUDA 11.8 loads it.</summary>
    public const string InstructionSet = "7.8";

    /// <summary>Every family's module text, in catalog order.</summary>
    public static IReadOnlyList<(IlgpuFamily Family, string Ptx)> CompileAll()
    {
        using var context = Context.Create(builder => builder.Cuda().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, nvvmAPI: null);
        var modules = new List<(IlgpuFamily, string)>();
        foreach (var family in IlgpuKernelCatalog.Families)
        {
            modules.Add((family, Compile(backend, family)));
        }

        return modules;
    }

    private static string Compile(PTXBackend backend, IlgpuFamily family)
    {
        var header = new List<string>();
        var body = new StringBuilder();
        var manifest = new StringBuilder();
        string target = "sm_50";
        int index = 0;
        foreach (var kernel in family.Kernels)
        {
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method), KernelSpecialization.Empty);
            var lines = compiled.PTXAssembly.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            int first = Array.FindIndex(lines, l => l.StartsWith(".address_size", StringComparison.Ordinal)) + 1;
            if (first == 0)
            {
                throw new InvalidOperationException($"{kernel.Name}: ILGPU's PTX has no .address_size line");
            }

            string kernelTarget = lines.First(l => l.StartsWith(".target ", StringComparison.Ordinal))["target ".Length..].Trim();
            if (string.CompareOrdinal(kernelTarget, target) > 0)
            {
                target = kernelTarget;
            }

            if (header.Count == 0)
            {
                header.AddRange(lines.TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal)));
            }

            string text = Normalize(string.Join('\n', lines.Skip(first)).Trim('\n'), kernel, index++);
            string entry = EntryName(text, kernel.Name);
            body.Append('\n').Append(text.Replace(".entry " + entry + "(", ".entry " + kernel.Name + "(", StringComparison.Ordinal)).Append('\n');
            manifest.Append(CultureInfo.InvariantCulture, $"// gsl-kernel {kernel.Name}: {string.Join(' ', ParameterKinds(kernel))}\n");
        }

        var output = new StringBuilder();
        foreach (var line in header)
        {
            output.Append(line).Append('\n');
        }

        output.Append(CultureInfo.InvariantCulture, $"// The {family.Family} kernels written in C# (src/GpuSelfLabel.Kernels.Ilgpu), for kernels/{family.CudaFile}'s launchers.\n");
        output.Append("// Regenerate with: dotnet run --project tools/GpuSelfLabel.IlgpuPtx\n");
        output.Append(manifest);
        output.Append(CultureInfo.InvariantCulture, $"\n.version {InstructionSet}\n.target {target}\n.address_size 64\n");
        output.Append(body);
        return output.ToString();
    }

    /// <summary>
    /// ILGPU numbers parameter names and labels from counters global to the process (_z_2476, L_5330), so
    /// the same source compiles to different text after other compiles; renamed here to _z and
    /// L&lt;kernel&gt;_&lt;n&gt; in order of appearance, the PTX depends on the source alone.
    /// </summary>
    private static string Normalize(string ptx, IlgpuKernel kernel, int index)
    {
        foreach (var parameter in kernel.Method.GetParameters())
        {
            ptx = Regex.Replace(ptx, $@"\b_{parameter.Name}_\d+\b", "_" + parameter.Name, RegexOptions.CultureInvariant);
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        return Regex.Replace(ptx, @"\bL_\d+\b", match =>
        {
            if (!labels.TryGetValue(match.Value, out var label))
            {
                label = string.Create(CultureInfo.InvariantCulture, $"L{index}_{labels.Count}");
                labels[match.Value] = label;
            }

            return label;
        }, RegexOptions.CultureInvariant);
    }

    /// <summary>The one .entry name in a single-kernel module.</summary>
    private static string EntryName(string ptx, string kernel)
    {
        const string marker = ".entry ";
        int at = ptx.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || ptx.IndexOf(marker, at + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"{kernel}: expected exactly one .entry in ILGPU's PTX");
        }

        int start = at + marker.Length;
        return ptx[start..ptx.IndexOf('(', start)];
    }

    /// <summary>The parameter kinds as the launcher must pass them: view:N (pointer and length), b64, b32, f32, f64.</summary>
    private static IEnumerable<string> ParameterKinds(IlgpuKernel kernel) =>
        kernel.Method.GetParameters().Select(p => p.ParameterType switch
        {
            var t when t == typeof(long) => "b64",
            var t when t == typeof(int) => "b32",
            var t when t == typeof(float) => "f32",
            var t when t == typeof(double) => "f64",
            var t when t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ArrayView<>) =>
                "view:" + ElementSize(t.GetGenericArguments()[0]).ToString(CultureInfo.InvariantCulture),
            var t => throw new InvalidOperationException($"{kernel.Name}: parameter {p.Name} of type {t} has no launcher kind"),
        });

    private static int ElementSize(Type element) =>
        element == typeof(double) || element == typeof(long) ? 8
        : element == typeof(float) || element == typeof(int) ? 4
        : element == typeof(ushort) ? 2
        : throw new InvalidOperationException($"no element size for {element}");
}
