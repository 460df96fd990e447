using System.CommandLine;
using System.Globalization;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Cli.Ops;

namespace GpuSelfLabel.Cli.Commands;

/// <summary>
/// <c>gsl kernels --source ilgpu|nvrtc --arch sm_XY --out DIR</c>: writes each kernel family's PTX, one
/// file per family named after it (softmax.ptx …), as the CUDA backend would load it. ilgpu: the
/// modules ILGPU compiled from the C# kernels at build time, embedded in this tool (no ILGPU, no GPU
/// needed); nvrtc: every kernels/*.cu compiled by NVRTC for compute_XY, which needs libnvrtc (exit 1,
/// a device error naming the cause, when it is missing). <c>--backend</c> is taken as on every command
/// and checked, but opens nothing: the PTX is compiled offline, the same for every backend.
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
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for <family>.ptx: " + OutputSet.Rule.Replace(" unless --overwrite", string.Empty, StringComparison.Ordinal), Required = true };
        var backend = BackendChoice.CreateOption();
        backend.Description = "Taken as on every command (auto, cpu, opencl or cuda) but opens nothing: the PTX is compiled offline, without a device";
        var command = new Command("kernels", "Write each kernel family's PTX (ILGPU's embedded modules, or NVRTC's compile of kernels/*.cu)") { source, arch, output, backend };
        command.SetAction(parse => ExitCodes.Run(parse.InvocationConfiguration.Error, () =>
        {
            GpuSelfLabel.Backends.BackendRegistry.RequireKnown(parse.GetValue(backend)!);
            int architecture = ParseArchitecture(parse.GetValue(arch)!);
            string folder = parse.GetValue(output)!.FullName;
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            {
                throw new GslArgumentException("out", $"'{folder}' is not empty; choose a new directory");
            }

            OutputSet.CheckTarget(folder, overwrite: false);
            var modules = parse.GetValue(source) == "ilgpu" ? Ilgpu(architecture) : Nvrtc(architecture);
            var set = new OutputSet();
            foreach (var (name, text, _) in modules)
            {
                set.AddText(name + ".ptx", text);
            }

            set.Commit(folder, overwrite: false);
            foreach (var (name, _, detail) in modules)
            {
                parse.InvocationConfiguration.Output.WriteLine($"{Path.Combine(folder, name + ".ptx")}  {detail}");
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

    private static List<(string Family, string Ptx, string Detail)> Ilgpu(int architecture)
    {
        var written = new List<(string, string, string)>();
        foreach (var family in IlgpuPtx.Families)
        {
            string text = IlgpuPtx.Text(family);
            int target = Target(text);
            if (target > architecture)
            {
                throw new GslArgumentException("arch", $"ILGPU's {family} module targets sm_{target}, which sm_{architecture} cannot run");
            }

            written.Add((family, text, $"ILGPU, .target sm_{target}: {string.Join(", ", IlgpuPtx.Kernels(family).Keys)}"));
        }

        return written;
    }

    private static List<(string Family, string Ptx, string Detail)> Nvrtc(int architecture)
    {
        if (!NvrtcCompiler.TryLoad(out var reason))
        {
            // A missing library, like a missing CUDA driver elsewhere: a device error (exit 1), with the reason.
            throw new GslDeviceException($"--source nvrtc needs NVRTC: {reason}");
        }

        if (!NvrtcCompiler.SupportedArchitectures.Contains(architecture))
        {
            var (major, minor) = NvrtcCompiler.Version;
            throw new GslArgumentException("arch", $"NVRTC {major}.{minor} cannot target compute_{architecture} (it knows {string.Join(", ", NvrtcCompiler.SupportedArchitectures)})");
        }

        var written = new List<(string, string, string)>();
        foreach (var file in KernelSources.Files)
        {
            var ptx = NvrtcCompiler.Ptx(file, architecture, useCache: false);
            int length = Array.IndexOf(ptx, (byte)0) is var nul and >= 0 ? nul : ptx.Length;
            var (major, minor) = NvrtcCompiler.Version;
            written.Add((Path.GetFileNameWithoutExtension(file), System.Text.Encoding.UTF8.GetString(ptx, 0, length), $"NVRTC {major}.{minor}, compute_{architecture}: kernels/{file}"));
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
