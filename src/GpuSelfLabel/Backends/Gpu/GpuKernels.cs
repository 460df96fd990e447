namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// The launchers every GPU backend shares, one partial file per operation family
/// (<c>GpuKernels.Softmax.cs</c> …), each launching the kernels of the matching kernels/&lt;family&gt;.cu.
/// The launch code is written once: a backend (OpenCL, CUDA) supplies only how to find a compiled
/// kernel and how to enqueue it, which is where the two APIs differ. This file holds the helpers every
/// family uses: <see cref="Kernel"/>, <see cref="RowGroupSize"/> and <see cref="RowGroups"/> to size a
/// one-group-per-row launch, and <see cref="Launch"/>, which checks the shape and every native status.
/// </summary>
internal abstract partial class GpuKernels : IBackendKernels
{
    private readonly LaunchOverrides overrides;
    private readonly bool synchronous = Environment.GetEnvironmentVariable("GSL_SYNC_LAUNCHES") == "1";

    protected GpuKernels(Backend device, LaunchOverrides overrides)
    {
        Device = device;
        this.overrides = overrides;
    }

    /// <summary>
    /// The backend whose memory the launchers read results from. They never allocate in it: scratch
    /// comes from the caller, sized by a Backend.*ScratchElements method (CUB's habit).
    /// </summary>
    protected Backend Device { get; }

    /// <summary>Kernel <paramref name="name"/> of kernels/<paramref name="file"/>, built on first use.</summary>
    protected abstract GpuKernel Kernel(string file, string name);

    /// <summary>
    /// Enqueues an already checked launch on the backend's queue or stream, checking every native
    /// status. Scalars and buffers arrive in kernel-signature order.
    /// </summary>
    protected abstract void Enqueue(GpuKernel kernel, long groups, int groupSize, KernelArguments arguments);

    /// <summary>Waits for the queue or stream, so that a failure is reported by the launch that caused it.</summary>
    protected abstract void Synchronize(GpuKernel kernel);

    /// <summary>The group size for a kernel that gives each row of <paramref name="columns"/> values one group.</summary>
    protected int RowGroupSize(GpuKernel kernel, long columns) =>
        LaunchShape.RowLocalSize(columns, kernel.MaxGroupSize, overrides.GroupSize);

    /// <summary>The groups for a kernel that gives each of <paramref name="rows"/> rows one group (grid-stride beyond).</summary>
    protected long RowGroups(long rows) => LaunchShape.RowGroups(rows, overrides.MaxGroups);

    /// <summary>The groups for a validation scan over <paramref name="rows"/> rows.</summary>
    protected int ScanGroups(long rows) => LaunchShape.ScanGroupCount(rows, overrides.MaxGroups);

    /// <summary>
    /// Launches <paramref name="kernel"/> on <paramref name="groups"/> groups of
    /// <paramref name="groupSize"/> work-items (dimension 0). With GSL_SYNC_LAUNCHES=1 the device is
    /// drained after the launch so an asynchronous fault names this kernel.
    /// </summary>
    protected void Launch(GpuKernel kernel, long groups, int groupSize, KernelArguments arguments)
    {
        // The kernels' reductions assume a power-of-two group no larger than their local arrays, and
        // CUDA's grid x dimension stops at 2^31 − 1.
        if (groups < 1 || groups > int.MaxValue || groupSize < 1 || (groupSize & (groupSize - 1)) != 0 || groupSize > kernel.MaxGroupSize || groupSize > LaunchShape.MaxLocalSize)
        {
            throw new InvalidOperationException($"{kernel.Name}: launch of {groups} groups of {groupSize} (groups in [1, 2^31 − 1], a power-of-two group size ≤ {Math.Min(kernel.MaxGroupSize, LaunchShape.MaxLocalSize)})");
        }

        Enqueue(kernel, groups, groupSize, arguments);
        if (synchronous)
        {
            Synchronize(kernel);
        }
    }
}
