using System.Text;
using GpuSelfLabel.Native;
using CudaApi = GpuSelfLabel.Native.Cuda;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// The loaded kernel files of one CUDA backend: each kernels/*.cu is compiled once (NVRTC, or the
/// PTX cache) for the device's architecture and loaded as a module on first use.
/// </summary>
internal sealed class CudaModules : IDisposable
{
    private readonly CudaPrimaryContextHandle context;
    private readonly Dictionary<string, CudaModuleHandle> modules = new(StringComparer.Ordinal);
    private readonly Dictionary<(string File, string Name), CudaFunction> functions = new();
    private readonly Lock gate = new();

    public CudaModules(CudaPrimaryContextHandle context, int architecture)
    {
        this.context = context;
        Architecture = architecture;
    }

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

            var module = Module(file);
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            nint raw;
            fixed (byte* n = bytes)
            {
                CudaApi.Check(CudaApi.cuModuleGetFunction(&raw, module.DangerousGetHandle(), n), $"cuModuleGetFunction({file}:{name})");
            }

            int maxThreads;
            CudaApi.Check(CudaApi.cuFuncGetAttribute(&maxThreads, CudaApi.FunctionAttributeMaxThreadsPerBlock, raw), $"cuFuncGetAttribute({name})");
            function = new CudaFunction(raw, file, name, maxThreads);
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
            context.MakeCurrent();
            module = CudaModuleHandle.Load(context, NvrtcCompiler.Ptx(file, Architecture), file);
            modules[file] = module;
        }

        return module;
    }
}
