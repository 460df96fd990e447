using System.Text;
using GpuSelfLabel.Native;
using CudaApi = GpuSelfLabel.Native.Cuda;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// The loaded kernel files of one CUDA backend: each kernels/*.cu is compiled once (NVRTC, or the
/// PTX cache) for the device's architecture and loaded as a module on first use. With
/// <see cref="CudaKernelSource.Ilgpu"/>, a kernel that has an ILGPU version comes from that family's
/// embedded PTX module instead (loaded in the same primary context), and every other from NVRTC.
/// </summary>
internal sealed class CudaModules : IDisposable
{
    private readonly CudaPrimaryContextHandle context;
    private readonly Dictionary<string, CudaModuleHandle> modules = new(StringComparer.Ordinal);
    private readonly Dictionary<(string File, string Name), CudaFunction> functions = new();
    private readonly Lock gate = new();

    public CudaModules(CudaPrimaryContextHandle context, int architecture, CudaKernelSource source)
    {
        this.context = context;
        Architecture = architecture;
        Source = source;
    }

    /// <summary>Where kernels that exist in both sources come from.</summary>
    public CudaKernelSource Source { get; }

    /// <summary>The compute_XY the PTX is compiled for.</summary>
    public int Architecture { get; }

    /// <summary>Kernel <paramref name="name"/> of kernels/<paramref name="file"/>, compiling and loading the file if needed.</summary>
    public unsafe CudaFunction Function(string file, string name)
    {
        lock (gate)
        {
            if (functions.TryGetValue((file, name), out var function))
            {
                return function;
            }

            // cuModuleGetFunction and cuFuncGetAttribute need a current context too, and the thread asking
            // for a kernel (a thread-pool or test worker) may not be the one that loaded its module.
            context.MakeCurrent();
            bool ilgpu = Source == CudaKernelSource.Ilgpu && IlgpuPtx.Has(file, name);
            var module = ilgpu ? IlgpuModule(file) : Module(file);
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            nint raw;
            fixed (byte* n = bytes)
            {
                CudaApi.Check(CudaApi.cuModuleGetFunction(&raw, module.DangerousGetHandle(), n), $"cuModuleGetFunction({file}:{name})");
            }

            int maxThreads;
            CudaApi.Check(CudaApi.cuFuncGetAttribute(&maxThreads, CudaApi.FunctionAttributeMaxThreadsPerBlock, raw), $"cuFuncGetAttribute({name})");
            function = new CudaFunction(raw, file, name, maxThreads, ilgpu ? IlgpuPtx.Kernels(IlgpuPtx.Family(file))[name] : null);
            functions[(file, name)] = function;
            return function;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            functions.Clear();
            foreach (var module in modules.Values)
            {
                module.Dispose();
            }

            modules.Clear();
        }
    }

    private CudaModuleHandle Module(string file)
    {
        if (!modules.TryGetValue(file, out var module))
        {
            module = CudaModuleHandle.Load(context, NvrtcCompiler.Ptx(file, Architecture), file);
            modules[file] = module;
        }

        return module;
    }

    private CudaModuleHandle IlgpuModule(string file)
    {
        string key = "ilgpu/" + IlgpuPtx.Family(file) + ".ptx";
        if (!modules.TryGetValue(key, out var module))
        {
            module = CudaModuleHandle.Load(context, IlgpuPtx.Image(IlgpuPtx.Family(file)), key);
            modules[key] = module;
        }

        return module;
    }
}
