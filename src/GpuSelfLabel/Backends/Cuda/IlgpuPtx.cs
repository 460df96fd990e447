using System.Globalization;
using System.Text;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>How one parameter of an ILGPU kernel is passed, as its PTX declares it.</summary>
internal enum IlgpuParameterKind
{
    /// <summary>An ArrayView: a 16-byte struct, the device pointer then the length in elements (both 64-bit).</summary>
    View,
    /// <summary>A 64-bit integer (.b64).</summary>
    B64,
    /// <summary>A 32-bit integer (.b32).</summary>
    B32,
    /// <summary>A float (.f32).</summary>
    F32,
    /// <summary>A double (.f64).</summary>
    F64,
}

/// <summary>One parameter of an ILGPU kernel; <paramref name="ElementSize"/> is the view's element size in bytes (0 for scalars).</summary>
internal readonly record struct IlgpuParameter(IlgpuParameterKind Kind, int ElementSize)
{
    /// <summary>Its size in the kernel's parameter space.</summary>
    public int Size => Kind switch
    {
        IlgpuParameterKind.View => 16,
        IlgpuParameterKind.B32 or IlgpuParameterKind.F32 => 4,
        _ => 8,
    };
}

/// <summary>
/// The PTX modules ILGPU compiled from the C# kernels (src/GpuSelfLabel.Kernels.Ilgpu), one per family,
/// embedded as "ilgpu-ptx/&lt;family&gt;.ptx". Each entry carries the CUDA C kernel's name, and a comment
/// line per kernel, <c>// gsl-kernel name: view:4 b64 f32 …</c>, gives the parameter kinds the argument
/// packer (<see cref="IlgpuArguments"/>) needs: a view's element size is not in the PTX.
/// </summary>
internal static class IlgpuPtx
{
    private const string Prefix = "ilgpu-ptx/";
    private const string KernelLine = "// gsl-kernel ";

    private static readonly Lazy<Dictionary<string, string>> Texts = new(ReadResources);

    /// <summary>
    /// The lowest compute capability that runs the modules: ILGPU targets the oldest architecture with
    /// the features a kernel uses, sm_80 for these (a test keeps the modules at or below it).
    /// </summary>
    public const int MinimumComputeCapability = 80;

    /// <summary>The embedded families, sorted ("collision_ce", "em", …).</summary>
    public static IReadOnlyList<string> Families => Texts.Value.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The PTX text of <paramref name="family"/>.</summary>
    public static string Text(string family) =>
        Texts.Value.TryGetValue(family, out var text)
            ? text
            : throw new InvalidOperationException($"no ILGPU PTX for '{family}'; embedded: {string.Join(", ", Families)}");

    /// <summary>Whether kernels/<paramref name="file"/>'s kernel <paramref name="name"/> has an ILGPU version.</summary>
    public static bool Has(string file, string name) =>
        Texts.Value.ContainsKey(Family(file)) && Kernels(Family(file)).ContainsKey(name);

    /// <summary>The family of a kernels/ file: its name without .cu.</summary>
    public static string Family(string file) => file.EndsWith(".cu", StringComparison.Ordinal) ? file[..^3] : file;

    /// <summary>Every kernel of <paramref name="family"/> with the parameters its comment line names.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<IlgpuParameter>> Kernels(string family)
    {
        var kernels = new Dictionary<string, IReadOnlyList<IlgpuParameter>>(StringComparer.Ordinal);
        foreach (var line in Text(family).Split('\n'))
        {
            if (!line.StartsWith(KernelLine, StringComparison.Ordinal))
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string name = line[KernelLine.Length..colon];
            kernels[name] = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParseKind).ToList();
        }

        return kernels;
    }

    /// <summary>
    /// The byte sizes of entry <paramref name="name"/>'s parameters as the PTX declares them
    /// (<c>.param .b64 x</c>: 8; <c>.param .align 8 .b8 x[16]</c>: 16): what the driver copies from each
    /// pointer cuLaunchKernel is given.
    /// </summary>
    public static IReadOnlyList<int> DeclaredSizes(string ptx, string name)
    {
        string marker = ".entry " + name + "(";
        int start = ptx.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"no .entry {name} in the PTX");
        }

        start += marker.Length;
        int end = ptx.IndexOf(')', start);
        var sizes = new List<int>();
        foreach (var raw in ptx[start..end].Split(','))
        {
            string declaration = raw.Trim();
            if (declaration.Length == 0)
            {
                continue;
            }

            var words = declaration.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            string type = words.First(w => w is ".b8" or ".b16" or ".b32" or ".b64" or ".u32" or ".u64" or ".s32" or ".s64" or ".f32" or ".f64");
            int width = int.Parse(type.AsSpan(2), CultureInfo.InvariantCulture) / 8;
            string last = words[^1];
            int bracket = last.IndexOf('[', StringComparison.Ordinal);
            sizes.Add(bracket < 0 ? width : width * int.Parse(last.AsSpan(bracket + 1, last.Length - bracket - 2), CultureInfo.InvariantCulture));
        }

        return sizes;
    }

    /// <summary>The module as cuModuleLoadData takes it (NUL-terminated).</summary>
    public static byte[] Image(string family) => Encoding.ASCII.GetBytes(Text(family) + "\0");

    private static IlgpuParameter ParseKind(string kind) => kind switch
    {
        "b64" => new(IlgpuParameterKind.B64, 0),
        "b32" => new(IlgpuParameterKind.B32, 0),
        "f32" => new(IlgpuParameterKind.F32, 0),
        "f64" => new(IlgpuParameterKind.F64, 0),
        _ when kind.StartsWith("view:", StringComparison.Ordinal) => new(IlgpuParameterKind.View, int.Parse(kind.AsSpan(5), CultureInfo.InvariantCulture)),
        _ => throw new InvalidOperationException($"unknown ILGPU parameter kind '{kind}'"),
    };

    private static Dictionary<string, string> ReadResources()
    {
        var assembly = typeof(IlgpuPtx).Assembly;
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal) || !resource.EndsWith(".ptx", StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            texts[resource[Prefix.Length..^4]] = reader.ReadToEnd();
        }

        return texts;
    }
}
