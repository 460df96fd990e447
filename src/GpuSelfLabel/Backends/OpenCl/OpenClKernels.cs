using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// The OpenCL implementation of <see cref="IBackendKernels"/>, one partial file of launchers per
/// operation family (<c>OpenClKernels.Softmax.cs</c> …), each launching the kernels of the
/// matching kernels/&lt;family&gt;.cu. This file holds the launch helpers every family uses:
/// <see cref="Kernel"/> to find a compiled kernel, <see cref="RowGroupSize"/> and <see cref="RowGroups"/> to
/// size a one-group-per-row launch, <see cref="Launch"/> to set the arguments, enqueue and check.
/// </summary>
internal sealed partial class OpenClKernels : HostStagedKernels, IBackendKernels
{
    private readonly OpenClBackend backend;
    private readonly LaunchOverrides overrides;
    private readonly bool synchronous = Environment.GetEnvironmentVariable("GSL_SYNC_LAUNCHES") == "1";

    public OpenClKernels(OpenClBackend backend, LaunchOverrides overrides)
    {
        this.backend = backend;
        this.overrides = overrides;
    }

    /// <summary>Kernel <paramref name="name"/> of kernels/<paramref name="file"/>, built on first use.</summary>
    private OpenClKernel Kernel(string file, string name) => backend.Programs.Kernel(file, name);

    /// <summary>The group size for a kernel that gives each row of <paramref name="columns"/> values one group.</summary>
    private int RowGroupSize(OpenClKernel kernel, long columns) =>
        LaunchShape.RowLocalSize(columns, kernel.MaxGroupSize, overrides.GroupSize);

    /// <summary>The groups for a kernel that gives each of <paramref name="rows"/> rows one group (grid-stride beyond).</summary>
    private long RowGroups(long rows) => LaunchShape.RowGroups(rows, overrides.MaxGroups);

    /// <summary>The groups for a validation scan over <paramref name="rows"/> rows.</summary>
    private int ScanGroups(long rows) => LaunchShape.ScanGroupCount(rows, overrides.MaxGroups);

    /// <summary>
    /// Enqueues <paramref name="kernel"/> on <paramref name="groups"/> work-groups of
    /// <paramref name="groupSize"/> work-items (dimension 0). Every status is checked; with
    /// GSL_SYNC_LAUNCHES=1 the queue is drained after the launch so a failure names this kernel.
    /// </summary>
    private unsafe void Launch(OpenClKernel kernel, long groups, int groupSize, KernelArguments arguments)
    {
        // The kernels' reductions assume a power-of-two group no larger than their local arrays.
        if (groups < 1 || groupSize < 1 || (groupSize & (groupSize - 1)) != 0 || groupSize > kernel.MaxGroupSize || groupSize > LaunchShape.MaxLocalSize)
        {
            throw new InvalidOperationException($"{kernel.Name}: launch of {groups} groups of {groupSize} (groups ≥ 1, a power-of-two group size ≤ {Math.Min(kernel.MaxGroupSize, LaunchShape.MaxLocalSize)})");
        }

        var items = arguments.Items;
        var subBuffers = new List<OpenClMemHandle>();
        try
        {
            lock (kernel.Gate)
            {
                nint handle = kernel.Handle.DangerousGetHandle();
                for (int i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    int status;
                    switch (item.Kind)
                    {
                        case KernelArgumentKind.Buffer:
                            nint mem = Memory(item, kernel, subBuffers);
                            status = OpenClApi.clSetKernelArg(handle, (uint)i, (nuint)sizeof(nint), &mem);
                            break;
                        case KernelArgumentKind.Index or KernelArgumentKind.Double:
                            long index = item.Value;
                            status = OpenClApi.clSetKernelArg(handle, (uint)i, sizeof(long), &index);
                            break;
                        default:
                            int bits = (int)item.Value;
                            status = OpenClApi.clSetKernelArg(handle, (uint)i, sizeof(int), &bits);
                            break;
                    }

                    OpenClApi.Check(status, $"clSetKernelArg({kernel.Name}, argument {i}, {item.Kind})");
                }

                nuint global = checked((nuint)(groups * groupSize));
                nuint local = (nuint)groupSize;
                OpenClApi.Check(OpenClApi.clEnqueueNDRangeKernel(backend.Queue, handle, 1, null, &global, &local, 0, null, null),
                    $"clEnqueueNDRangeKernel({kernel.Name}, {groups} groups of {groupSize})");
            }

            if (synchronous)
            {
                OpenClApi.Check(OpenClApi.clFinish(backend.Queue), $"clFinish after {kernel.Name}");
            }
        }
        finally
        {
            // Enqueued commands hold their own references to the memory they use (OpenCL 1.2 §5.4.1).
            foreach (var sub in subBuffers)
            {
                sub.Dispose();
            }

            GC.KeepAlive(arguments);
        }
    }

    private nint Memory(KernelArgument item, OpenClKernel kernel, List<OpenClMemHandle> subBuffers)
    {
        if (item.Buffer is not OpenClBuffer buffer)
        {
            throw new InvalidOperationException($"{kernel.Name}: a buffer argument lives on another backend ({item.Buffer?.GetType().Name})");
        }

        if (item.Value == 0)
        {
            return buffer.Handle;
        }

        if (item.Value % backend.BaseAddressAlignment != 0)
        {
            throw new GslDeviceException($"opencl: {kernel.Name}: a tensor starting {item.Value} bytes into its buffer is not aligned to the device's {backend.BaseAddressAlignment}-byte sub-buffer alignment");
        }

        var sub = buffer.SubBuffer(item.Value);
        subBuffers.Add(sub);
        return sub.DangerousGetHandle();
    }
}
