using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Native;
using OpenClApi = GpuSelfLabel.Native.OpenCl;

namespace GpuSelfLabel.Backends.OpenCl;

/// <summary>
/// The OpenCL side of the shared launchers (<see cref="GpuKernels"/>): kernels come from the
/// backend's program cache, arguments are set with clSetKernelArg and launches are enqueued on the
/// backend's in-order queue, every status checked.
/// </summary>
internal sealed class OpenClKernels : GpuKernels
{
    private readonly OpenClBackend backend;

    public OpenClKernels(OpenClBackend backend, LaunchOverrides overrides)
        : base(backend, overrides)
    {
        this.backend = backend;
    }

    protected override GpuKernel Kernel(string file, string name) => backend.Programs.Kernel(file, name);

    protected override void Synchronize(GpuKernel kernel) =>
        OpenClApi.Check(OpenClApi.clFinish(backend.Queue), $"clFinish after {kernel.Name}");

    protected override unsafe void Enqueue(GpuKernel launched, long groups, int groupSize, KernelArguments arguments)
    {
        var kernel = (OpenClKernel)launched;
        var items = arguments.Items;
        var subBuffers = new List<OpenClMemHandle>();
        var held = new List<OpenClBuffer>();
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
                            nint mem = Memory(item, kernel, subBuffers, held);
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

        }
        finally
        {
            // Enqueued commands hold their own references to the memory they use (OpenCL 1.2 §5.4.1).
            foreach (var sub in subBuffers)
            {
                sub.Dispose();
            }

            foreach (var buffer in held)
            {
                buffer.Release();
            }

            GC.KeepAlive(arguments);
        }
    }

    /// <summary>
    /// The cl_mem for one argument, held open (SafeHandle reference count) until the command is
    /// enqueued: a tensor disposed on another thread meanwhile is released only after that, by which
    /// time the command holds its own reference. Released between clSetKernelArg and the enqueue, PoCL
    /// aborted the process.
    /// </summary>
    private nint Memory(KernelArgument item, OpenClKernel kernel, List<OpenClMemHandle> subBuffers, List<OpenClBuffer> held)
    {
        if (item.Buffer is not OpenClBuffer buffer)
        {
            throw new InvalidOperationException($"{kernel.Name}: a buffer argument lives on another backend ({item.Buffer?.GetType().Name})");
        }

        buffer.Hold();
        held.Add(buffer);

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
