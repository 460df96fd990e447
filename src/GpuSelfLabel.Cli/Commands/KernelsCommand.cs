using System.CommandLine;
using System.Globalization;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl kernels --source ilgpu|nvrtc --arch sm_XY --out DIR</c>: writes each kernel family's PTX, one
/// file per family named after it (softmax.ptx …), as the CUDA backend would load it. ilgpu: the
/// modules ILGPU compiled from the C# kernels at build time, embedded in this tool (no ILGPU, no GPU
/// needed); nvrtc: every kernels/*.cu compiled by NVRTC for compute_XY, which needs libnvrtc (exit 2
/// naming the cause when it is missing).
/// </summary>
internal static class KernelsCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--source")
        {
            Description = "Which kernels: ilgpu (the C#-written families, compiled to PTX by ILGPU at build time) or nvrtc (kernels/*.cu through NVRTC)",
            DefaultValueFactory = _ => "nvrtc",
        };
        source.AcceptOnlyFromAmong("ilgpu", "nvrtc");
        var arch = new Option<string>("--arch")
        {
            Description = "The GPU architecture the PTX is for, sm_XY (default sm_90)",
            DefaultValueFactory = _ => "sm_90",
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write <family>.ptx into (created if needed)", Required = true };
        var command = new Command("kernels", "Write each kernel family's PTX (ILGPU's embedded modules, or NVRTC's compile of kernels/*.cu)") { source, arch, output };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            int architecture = ParseArchitecture(parse.GetValue(arch)!);
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder.FullName);
            var written = parse.GetValue(source) == "ilgpu" ? WriteIlgpu(architecture, folder) : WriteNvrtc(architecture, folder);
            foreach (var (path, detail) in written)
            {
                parse.InvocationConfiguration.Output.WriteLine($"{path}  {detail}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static int ParseArchitecture(string text)
    {
        string digits = text.StartsWith("sm_", StringComparison.Ordinal) || text.StartsWith("compute_", StringComparison.Ordinal) ? text[(text.IndexOf('_', StringComparison.Ordinal) + 1)..] : text;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 10
            ? value
            : throw new GslArgumentException("arch", $"'{text}' is not an architecture like sm_90");
    }

    private static List<(string Path, string Detail)> WriteIlgpu(int architecture, DirectoryInfo folder)
    {
        var written = new List<(string, string)>();
        foreach (var family in IlgpuPtx.Families)
        {
            string text = IlgpuPtx.Text(family);
            int target = Target(text);
            if (target > architecture)
            {
                throw new GslArgumentException("arch", $"ILGPU's {family} module targets sm_{target}, which sm_{architecture} cannot run");
            }

            string path = Path.Combine(folder.FullName, family + ".ptx");
            File.WriteAllText(path, text);
            written.Add((path, $"ILGPU, .target sm_{target}: {string.Join(", ", IlgpuPtx.Kernels(family).Keys)}"));
        }

        return written;
    }

    private static List<(string Path, string Detail)> WriteNvrtc(int architecture, DirectoryInfo folder)
    {
        if (!NvrtcCompiler.TryLoad(out var reason))
        {
            throw new UsageException($"--source nvrtc needs NVRTC: {reason}");
        }

        if (!NvrtcCompiler.SupportedArchitectures.Contains(architecture))
        {
            var (major, minor) = NvrtcCompiler.Version;
            throw new GslArgumentException("arch", $"NVRTC {major}.{minor} cannot target compute_{architecture} (it knows {string.Join(", ", NvrtcCompiler.SupportedArchitectures)})");
        }

        var written = new List<(string, string)>();
        foreach (var file in KernelSources.Files)
        {
            var ptx = NvrtcCompiler.Ptx(file, architecture, useCache: false);
            int length = Array.IndexOf(ptx, (byte)0) is var nul and >= 0 ? nul : ptx.Length;
            string path = Path.Combine(folder.FullName, Path.GetFileNameWithoutExtension(file) + ".ptx");
            File.WriteAllBytes(path, ptx.AsSpan(0, length).ToArray());
            var (major, minor) = NvrtcCompiler.Version;
            written.Add((path, $"NVRTC {major}.{minor}, compute_{architecture}: kernels/{file}"));
        }

        return written;
    }

    /// <summary>The sm_XY of a module's .target line.</summary>
    private static int Target(string ptx)
    {
        int at = ptx.IndexOf("\n.target sm_", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException("the embedded ILGPU PTX has no .target line");
        }

        int start = at + "\n.target sm_".Length;
        int end = start;
        while (end < ptx.Length && char.IsAsciiDigit(ptx[end]))
        {
            end++;
        }

        return int.Parse(ptx.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }
}
