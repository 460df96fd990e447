using System.Text;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// The compiled kernel files of one OpenCL backend: each kernels/*.cu is built once, on first use,
/// as an OpenCL C 1.2 program for the backend's device; a failed build throws with the build log.
/// </summary>
internal sealed class OpenClPrograms : IDisposable
{
    private readonly OpenClContextHandle context;
    private readonly nint device;
    private readonly Dictionary<string, OpenClProgramHandle> programs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string File, string Name), OpenClKernel> kernels = new();
    private readonly Lock gate = new();

    public OpenClPrograms(OpenClContextHandle context, nint device)
    {
        this.context = context;
        this.device = device;
    }

    /// <summary>
    /// The build options: the shared defines, OpenCL C 1.2 (what PoCL and every GPU vendor accept).
    /// No -cl-fast-relaxed-math: the kernels rely on IEEE infinities and exact comparisons.
    /// </summary>
    public static string Options =>
        "-cl-std=CL1.2 " + string.Join(' ', KernelSources.Defines.Select(d => "-D" + d));

    /// <summary>The kernel <paramref name="name"/> of kernels/<paramref name="file"/>, building the file if needed.</summary>
    public OpenClKernel Kernel(string file, string name)
    {
        lock (gate)
        {
            if (kernels.TryGetValue((file, name), out var kernel))
            {
                return kernel;
            }

            kernel = CreateKernel(Program(file), file, name);
            kernels[(file, name)] = kernel;
            return kernel;
        }
    }

    /// <summary>Builds kernels/<paramref name="file"/> now (the build test calls this for every file).</summary>
    public void Build(string file)
    {
        lock (gate)
        {
            Program(file);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var kernel in kernels.Values)
            {
                kernel.Handle.Dispose();
            }

            foreach (var program in programs.Values)
            {
                program.Dispose();
            }

            kernels.Clear();
            programs.Clear();
        }
    }

    private OpenClProgramHandle Program(string file)
    {
        if (!programs.TryGetValue(file, out var program))
        {
            program = Compile($"kernels/{file}", KernelSources.Load(file));
            programs[file] = program;
        }

        return program;
    }

    /// <summary>
    /// Builds one OpenCL C translation unit for the device; a failure throws with the build log.
    /// The caller owns the program.
    /// </summary>
    internal unsafe OpenClProgramHandle Compile(string name, string sourceText)
    {
        var source = Encoding.UTF8.GetBytes(sourceText);
        OpenClProgramHandle program;
        fixed (byte* text = source)
        {
            byte* strings = text;
            nuint length = (nuint)source.Length;
            int status;
            nint raw = OpenClApi.clCreateProgramWithSource(context.DangerousGetHandle(), 1, &strings, &length, &status);
            program = OpenClProgramHandle.Adopt(raw, status);
        }

        var options = Encoding.UTF8.GetBytes(Options + "\0");
        int built;
        nint dev = device;
        fixed (byte* o = options)
        {
            built = OpenClApi.clBuildProgram(program.DangerousGetHandle(), 1, &dev, o, 0, 0);
        }

        if (built != OpenClApi.Success)
        {
            string log = OpenClApi.BuildLog(program.DangerousGetHandle(), device);
            program.Dispose();
            throw OpenClApi.Failure(built, "clBuildProgram", $"building {name} with \"{Options}\"", log);
        }

        return program;
    }

    private unsafe OpenClKernel CreateKernel(OpenClProgramHandle program, string file, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        int status;
        nint raw;
        fixed (byte* n = bytes)
        {
            raw = OpenClApi.clCreateKernel(program.DangerousGetHandle(), n, &status);
        }

        var handle = OpenClKernelHandle.Adopt(raw, status, $"{file}:{name}");
        nuint maxGroup = 0;
        OpenClApi.Check(OpenClApi.clGetKernelWorkGroupInfo(handle.DangerousGetHandle(), device, OpenClApi.KernelWorkGroupSize, (nuint)sizeof(nuint), &maxGroup, null), $"clGetKernelWorkGroupInfo({name})");
        return new OpenClKernel(handle, file, name, (int)Math.Min((ulong)maxGroup, int.MaxValue));
    }
}
