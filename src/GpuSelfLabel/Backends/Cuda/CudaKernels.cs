using GpuSelfLabel.Backends.Gpu;
using CudaApi = GpuSelfLabel.Native.Cuda;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// The CUDA side of the shared launchers (<see cref="GpuKernels"/>): kernels come from the backend's
/// module cache (NVRTC's PTX, or ILGPU's where the backend's <see cref="CudaKernelSource"/> asks for it) and launch with cuLaunchKernel on the backend's stream, every status checked.
/// </summary>
internal sealed class CudaKernels : GpuKernels
{
    private readonly CudaBackend backend;

    public CudaKernels(CudaBackend backend, LaunchOverrides overrides)
        : base(backend, overrides)
    {
        this.backend = backend;
    }

    protected override GpuKernel Kernel(string file, string name) => backend.Modules.Function(file, name);

    protected override void Synchronize(GpuKernel kernel) =>
        CudaApi.Check(CudaApi.cuStreamSynchronize(backend.Stream), $"cuStreamSynchronize after {kernel.Name}");

    /// <summary>
    /// cuLaunchKernel takes an array of pointers, one per parameter, each to a value of that
    /// parameter's type: every value gets an 8-byte slot, and a 4-byte int or float sits in the low
    /// half, which is where a little-endian 4-byte read finds it.
    /// </summary>
    protected override unsafe void Enqueue(GpuKernel launched, long groups, int groupSize, KernelArguments arguments)
    {
        var kernel = (CudaFunction)launched;
        if (kernel.IlgpuParameters is { } parameters)
        {
            EnqueueIlgpu(kernel, parameters, groups, groupSize, arguments);
            return;
        }

        var items = arguments.Items;
        ulong* values = stackalloc ulong[Math.Max(1, items.Count)];
        void** pointers = stackalloc void*[Math.Max(1, items.Count)];
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            values[i] = item.Kind switch
            {
                KernelArgumentKind.Buffer => DevicePointer(item, kernel),
                KernelArgumentKind.Index or KernelArgumentKind.Double => (ulong)item.Value,
                _ => (uint)(int)item.Value,
            };
            pointers[i] = &values[i];
        }

        backend.MakeCurrent();
        CudaApi.Check(CudaApi.cuLaunchKernel(kernel.Handle, (uint)groups, 1, 1, (uint)groupSize, 1, 1, 0, backend.Stream, pointers, null),
            $"cuLaunchKernel({kernel.Name}, {groups} blocks of {groupSize})");

        GC.KeepAlive(arguments);
    }

    /// <summary>A kernel from ILGPU's PTX: the same arguments, packed as its parameters are declared (<see cref="IlgpuArguments"/>).</summary>
    private unsafe void EnqueueIlgpu(CudaFunction kernel, IReadOnlyList<IlgpuParameter> parameters, long groups, int groupSize, KernelArguments arguments)
    {
        int count = Math.Max(1, parameters.Count);
        Span<ulong> words = stackalloc ulong[Math.Max(1, IlgpuArguments.Words(parameters))];
        Span<int> starts = stackalloc int[count];
        IlgpuArguments.Pack(kernel.Name, parameters, arguments, item => DevicePointer(item, kernel), words, starts);
        void** pointers = stackalloc void*[count];
        fixed (ulong* values = words)
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                pointers[i] = &values[starts[i]];
            }

            backend.MakeCurrent();
            CudaApi.Check(CudaApi.cuLaunchKernel(kernel.Handle, (uint)groups, 1, 1, (uint)groupSize, 1, 1, 0, backend.Stream, pointers, null),
                $"cuLaunchKernel({kernel.Name} from ILGPU's PTX, {groups} blocks of {groupSize})");
        }

        GC.KeepAlive(arguments);
    }

    private static ulong DevicePointer(KernelArgument item, CudaFunction kernel) =>
        item.Buffer is CudaBuffer buffer
            ? (ulong)(buffer.Handle + (nint)item.Value)
            : throw new InvalidOperationException($"{kernel.Name}: a buffer argument lives on another backend ({item.Buffer?.GetType().Name})");
}
