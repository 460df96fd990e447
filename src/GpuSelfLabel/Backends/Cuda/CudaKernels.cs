using CudaApi = GpuSelfLabel.Native.Cuda;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// The CUDA implementation of <see cref="IBackendKernels"/>, one partial file of launchers per
/// operation family (<c>CudaKernels.Softmax.cs</c> …), each launching the kernels of the matching
/// kernels/&lt;family&gt;.cu. This file holds the launch helpers every family uses:
/// <see cref="Kernel"/> to find a compiled kernel, <see cref="RowGroupSize"/> and <see cref="RowGroups"/> to
/// size a one-group-per-row launch, <see cref="Launch"/> to marshal the arguments, launch and check.
/// </summary>
internal sealed partial class CudaKernels : HostStagedKernels, IBackendKernels
{
    private readonly CudaBackend backend;
    private readonly LaunchOverrides overrides;
    private readonly bool synchronous = Environment.GetEnvironmentVariable("GSL_SYNC_LAUNCHES") == "1";

    public CudaKernels(CudaBackend backend, LaunchOverrides overrides)
    {
        this.backend = backend;
        this.overrides = overrides;
    }

    /// <summary>Kernel <paramref name="name"/> of kernels/<paramref name="file"/>, compiled and loaded on first use.</summary>
    private CudaFunction Kernel(string file, string name) => backend.Modules.Function(file, name);

    /// <summary>The block size for a kernel that gives each row of <paramref name="columns"/> values one block.</summary>
    private int RowGroupSize(CudaFunction kernel, long columns) =>
        LaunchShape.RowLocalSize(columns, kernel.MaxGroupSize, overrides.GroupSize);

    /// <summary>The groups for a kernel that gives each of <paramref name="rows"/> rows one group (grid-stride beyond).</summary>
    private long RowGroups(long rows) => LaunchShape.RowGroups(rows, overrides.MaxGroups);

    /// <summary>The groups for a validation scan over <paramref name="rows"/> rows.</summary>
    private int ScanGroups(long rows) => LaunchShape.ScanGroupCount(rows, overrides.MaxGroups);

    /// <summary>
    /// Launches <paramref name="kernel"/> on <paramref name="groups"/> blocks of
    /// <paramref name="groupSize"/> threads (x only) on the backend's stream. cuLaunchKernel takes an
    /// array of pointers, one per parameter, each to a value of that parameter's type: every value
    /// gets an 8-byte slot, and a 4-byte int or float sits in the low half, which is where a
    /// little-endian 4-byte read finds it. A launch error is checked at once; with
    /// GSL_SYNC_LAUNCHES=1 the stream is synchronised too so a fault names this kernel.
    /// </summary>
    private unsafe void Launch(CudaFunction kernel, long groups, int groupSize, KernelArguments arguments)
    {
        // The kernels' reductions assume a power-of-two block no larger than their shared arrays.
        if (groups < 1 || groups > int.MaxValue || groupSize < 1 || (groupSize & (groupSize - 1)) != 0 || groupSize > kernel.MaxGroupSize || groupSize > LaunchShape.MaxLocalSize)
        {
            throw new InvalidOperationException($"{kernel.Name}: launch of {groups} blocks of {groupSize} (blocks in [1, 2^31 − 1], a power-of-two block size ≤ {Math.Min(kernel.MaxGroupSize, LaunchShape.MaxLocalSize)})");
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
        if (synchronous)
        {
            CudaApi.Check(CudaApi.cuStreamSynchronize(backend.Stream), $"cuStreamSynchronize after {kernel.Name}");
        }

        GC.KeepAlive(arguments);
    }

    private static ulong DevicePointer(KernelArgument item, CudaFunction kernel) =>
        item.Buffer is CudaBuffer buffer
            ? (ulong)(buffer.Handle + (nint)item.Value)
            : throw new InvalidOperationException($"{kernel.Name}: a buffer argument lives on another backend ({item.Buffer?.GetType().Name})");
}
