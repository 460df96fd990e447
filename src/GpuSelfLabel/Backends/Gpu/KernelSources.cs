using System.Text;
using System.Text.RegularExpressions;

namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// The device code of <c>kernels/</c>, embedded in this assembly under logical names
/// "kernels/&lt;path&gt;". <see cref="Load"/> inlines <c>#include "common/…"</c> itself, because NVRTC and
/// OpenCL compilers search include paths differently (NVRTC has no file system access to our
/// resources at all); each header is inlined once, with #line directives so compiler messages name
/// the original file and line.
/// </summary>
internal static partial class KernelSources
{
    private const string Prefix = "kernels/";

    private static readonly Lazy<Dictionary<string, string>> Texts = new(ReadResources);

    /// <summary>The kernel files (*.cu), one per operation family, sorted: "softmax.cu", …</summary>
    public static IReadOnlyList<string> Files =>
        Texts.Value.Keys.Where(k => k.EndsWith(".cu", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every embedded path (kernel files and headers), relative to kernels/.</summary>
    public static IReadOnlyList<string> AllPaths => Texts.Value.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Macros every kernel is compiled with, by both backends. The group-size bound sizes the local
    /// arrays, so it must be the one the launchers respect.
    /// </summary>
    public static IReadOnlyList<string> Defines { get; } = [$"GSL_MAX_LOCAL_SIZE={LaunchShape.MaxLocalSize}"];

    /// <summary>The text of one embedded file, as written.</summary>
    public static string Raw(string path) =>
        Texts.Value.TryGetValue(path, out var text)
            ? text
            : throw new InvalidOperationException($"kernel source '{path}' is not embedded in {typeof(KernelSources).Assembly.GetName().Name}; embedded: {string.Join(", ", AllPaths)}");

    /// <summary>One translation unit: <paramref name="file"/> with its includes inlined.</summary>
    public static string Load(string file) => Preprocess(file, Raw(file));

    /// <summary>
    /// Inlines the embedded headers <paramref name="text"/> includes; <paramref name="name"/> is what
    /// #line directives call it. Kernel files go through <see cref="Load"/>; tests compile probes.
    /// </summary>
    public static string Preprocess(string name, string text)
    {
        var output = new StringBuilder();
        Inline(name, text, output, new HashSet<string>(StringComparer.Ordinal) { name });
        return output.ToString();
    }

    private static void Inline(string path, string text, StringBuilder output, HashSet<string> included)
    {
        var lines = text.Split('\n');
        output.Append("#line 1 \"").Append(path).Append("\"\n");
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            var match = IncludeDirective().Match(line);
            if (!match.Success)
            {
                output.Append(line).Append('\n');
                continue;
            }

            if (match.Groups["open"].Value == "<")
            {
                throw new InvalidOperationException($"{path}:{i + 1}: kernels may not include system headers ({line.Trim()}); NVRTC and OpenCL C have none in common");
            }

            string name = match.Groups["name"].Value;
            if (included.Add(name))
            {
                Inline(name, Raw(name), output, included);
            }

            // The next source line is line i + 2 (1-based) of this file.
            output.Append("#line ").Append(i + 2).Append(" \"").Append(path).Append("\"\n");
        }
    }

    private static Dictionary<string, string> ReadResources()
    {
        var assembly = typeof(KernelSources).Assembly;
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // MSBuild's RecursiveDir uses the host's separator; Windows builds would give "kernels/common\x.h".
            string name = resource.Replace('\\', '/');
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            texts[name[Prefix.Length..]] = reader.ReadToEnd();
        }

        return texts;
    }

    [GeneratedRegex("""^\s*#\s*include\s*(?<open>[<"])(?<name>[^">]+)[">]""")]
    private static partial Regex IncludeDirective();
}
