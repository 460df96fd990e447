using System.Runtime.InteropServices;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Backends;

/// <summary>
/// A place where tensors live and operations run: the CPU (always there), an OpenCL device, a CUDA
/// device. Public methods validate and then call the protected hooks a backend implements, so every
/// backend gets the same checks and the same error messages.
/// </summary>
public abstract class Backend : IDisposable
{
    private long deviceAllocations;
    private long hostReads;

    /// <summary>The CPU backend: plain C#, SIMD and all cores, nothing to install.</summary>
    public static Backend Cpu => CpuBackend.Instance;

    /// <summary>Short name: "cpu", "opencl" or "cuda".</summary>
    public abstract string Name { get; }

    /// <summary>The device in words, for <c>gsl devices</c> and benchmark reports.</summary>
    public abstract string DeviceName { get; }

    internal abstract IBackendKernels Kernels { get; }

    // Capabilities: code above the backends asks what a backend can do, never which one it is.

    /// <summary>
    /// Whether this backend's tensors are host memory the process can address (the CPU): a streamed
    /// matrix is then read in place, a resident one in chunks that leave room for progress and
    /// cancellation, and the memory it reports available is free memory, not a device's total.
    /// </summary>
    internal abstract bool HostAddressable { get; }

    /// <summary>
    /// The most blocks a reduction over rows splits into, each leaving one partial per column: what the
    /// Sinkhorn planner reserves for those partials (K per block).
    /// </summary>
    internal abstract int MaxReductionBlocks { get; }

    /// <summary>
    /// Float64 elements of the scratch a row-reduction pass (SeLa, SwAV, column log-sum-exp) needs for K
    /// columns: two blocks of partials per column and one error per block, each part starting on a
    /// 4 KiB boundary (OpenCL sub-buffers need their device's base alignment). Solvers allocate it
    /// once per call and hand it to every pass; a host backend keeps its partials in managed memory
    /// and needs one element.
    /// </summary>
    internal virtual long ReductionScratchElements(long columns) => (2L * (ScratchAlignment + (MaxReductionBlocks * columns))) + MaxReductionBlocks;

    /// <summary>
    /// Float64 elements of the scratch the EM passes (<see cref="IBackendKernels.EmStep"/>,
    /// <see cref="IBackendKernels.PseudoLabelMoments"/>) need for K columns: the solver allocates it once
    /// per solve and every iteration reuses it. A host backend keeps its partials in managed memory
    /// and needs one element.
    /// </summary>
    internal virtual long EmScratchElements(long columns) => Gpu.EmLaunchShape.ScratchElements(columns);

    /// <summary>
    /// 8-byte elements of the scratch a scan over <paramref name="length"/> rows or elements needs: the
    /// per-group first flagged row of <see cref="IBackendKernels.FindInvalidRow"/> and the per-group
    /// partials of <see cref="IBackendKernels.Sum"/>, one per group and at most
    /// <see cref="Gpu.LaunchShape.ScanGroups"/> groups. A public call allocates it once and hands it to
    /// every check and sum it makes; a host backend needs one element.
    /// </summary>
    internal virtual long ScanScratchElements(long length) => Gpu.LaunchShape.ScanScratchElements(length);

    /// <summary>
    /// 8-byte elements of the scratch the Average-K passes (<see cref="IBackendKernels.AverageKKeyHistogram"/>
    /// and the rest of ops.md §8) need for a rows×columns score matrix; it also holds a scan of the rows,
    /// so one allocation serves a whole Average-K or two-head call. A host backend needs one element.
    /// </summary>
    internal virtual long AverageKScratchElements(long rows, long columns) => Gpu.AverageKLaunch.ScratchElements(rows, columns);

    /// <summary>
    /// Float64 elements of the column and loss partials a Self-Classifier evaluation of V×N×C logits
    /// needs beside its statistics (<see cref="SelfClassifierWorkspace"/> holds all of them, and the
    /// scan of the finiteness check, in one allocation). A host backend keeps its partials in managed
    /// memory and needs one element.
    /// </summary>
    internal virtual long SelfClassifierScratchElements(long views, long samples, long classes) =>
        Gpu.SelfClassifierLaunch.ScratchElements(views, samples, classes);

    /// <summary>A scan scratch for <paramref name="length"/> rows or elements (<see cref="ScanScratchElements"/>); the caller disposes it.</summary>
    internal Tensor AllocateScanScratch(long length) => Allocate(DType.Float64, ScanScratchElements(length));

    /// <summary>Float64 elements (4 KiB) on whose multiples the parts of a reduction scratch start.</summary>
    internal const long ScratchAlignment = 512;

    /// <summary>Device buffers this backend has allocated so far (tests: no allocation inside an iteration loop).</summary>
    internal long DeviceAllocations => Interlocked.Read(ref deviceAllocations);

    /// <summary>Counts one device allocation; every backend's <see cref="AllocateBuffer"/> calls it.</summary>
    protected internal void CountAllocation() => Interlocked.Increment(ref deviceAllocations);

    /// <summary>
    /// Device-to-host copies this backend has made so far (tests: an iteration loop makes no host round
    /// trip, each of which drains the stream). Host backends do not count.
    /// </summary>
    internal long HostReads => Interlocked.Read(ref hostReads);

    /// <summary>Counts one device-to-host copy; a device backend's <see cref="Download"/> calls it.</summary>
    protected internal void CountHostRead() => Interlocked.Increment(ref hostReads);

    /// <summary>
    /// Bytes a new allocation may take here, for planners: an estimate on the safe side (free host
    /// memory on the CPU, a share of a device's memory on a GPU).
    /// </summary>
    internal abstract long AvailableMemoryBytes { get; }

    /// <summary>The largest single buffer this backend allocates (OpenCL's CL_DEVICE_MAX_MEM_ALLOC_SIZE); no limit by default.</summary>
    internal virtual long MaxBufferBytes => long.MaxValue;

    /// <summary>
    /// The share of a GPU's memory a planner may count on: the caller (a framework, the display) may
    /// already hold the rest.
    /// </summary>
    private protected const double DeviceMemoryShare = 0.9;

    /// <summary>Whether <see cref="OpenDeviceGemm"/> gives a matrix product that runs on this backend's device (CUDA with cuBLAS).</summary>
    internal virtual bool HasDeviceGemm => false;

    /// <summary>A matrix product on this backend's device; only where <see cref="HasDeviceGemm"/>. The caller disposes it.</summary>
    internal virtual IDeviceGemm OpenDeviceGemm() => throw new NotSupportedException($"backend '{Name}' has no device matrix product");

    /// <summary>Allocates an uninitialised tensor of the given shape.</summary>
    public Tensor Allocate(DType dtype, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = CheckShape(shape);
        long bytes = ByteCount(dims, dtype);
        return new Tensor(this, AllocateBuffer(Math.Max(bytes, 1)), dtype, dims, 0, ownsBuffer: true);
    }

    /// <summary>Allocates a float32 tensor and copies <paramref name="data"/> into it.</summary>
    public Tensor FromArray(ReadOnlySpan<float> data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = CheckShape(shape);
        long elements = ByteCount(dims, DType.Float32) / sizeof(float);
        if (elements != data.Length)
        {
            throw new ArgumentException($"data has {data.Length} elements but shape ({string.Join(", ", dims)}) needs {elements}.", nameof(data));
        }

        var tensor = Allocate(DType.Float32, dims);
        Upload(tensor.Buffer, tensor.ByteOffset, MemoryMarshal.AsBytes(data));
        return tensor;
    }

    /// <summary>
    /// Wraps memory this library does not own (a host pointer on the CPU backend, a device pointer on
    /// CUDA, a cl_mem of <see cref="OpenCl.OpenClBackend.Context"/> on OpenCL) as a tensor. Strides are
    /// in elements; only C-contiguous layouts are accepted, and the wrapped memory is never freed by the
    /// library. Like a span made from a pointer, the handle is trusted: what can be checked is (the
    /// OpenCL context and size, the extent of a CUDA allocation), but a made-up value can still crash
    /// the process (a host pointer is not checked at all, and an OpenCL driver dereferences a cl_mem
    /// before it can say it is none).
    /// </summary>
    public Tensor Wrap(nint pointer, DType dtype, long[] shape, long[]? strides = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (pointer == 0)
        {
            throw new GslArgumentException("pointer", "must not be null");
        }

        var dims = CheckShape(shape);
        if (strides is not null)
        {
            if (strides.Length != dims.Length)
            {
                throw new GslArgumentException("strides", $"has {strides.Length} entries for a tensor of rank {dims.Length}");
            }

            long expected = 1;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                if (dims[d] > 1 && strides[d] != expected)
                {
                    throw new GslArgumentException("strides", $"dimension {d} has stride {strides[d]} but only C-contiguous tensors are supported (expected {expected}); make the tensor contiguous first");
                }

                expected *= dims[d];
            }
        }

        long bytes = ByteCount(dims, dtype);
        return new Tensor(this, WrapBuffer(pointer, bytes), dtype, dims, 0, ownsBuffer: true);
    }

    /// <summary>Copies a float32 tensor into host memory (as many elements as the span holds).</summary>
    public void CopyToHost(Tensor source, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckOwn(source, nameof(source));
        if (source.DType != DType.Float32 || destination.Length > source.Length)
        {
            throw new ArgumentException("destination must be no longer than a float32 source.", nameof(destination));
        }

        Download(source.Buffer, source.ByteOffset, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Copies host data into a float32 tensor, from its first element on.</summary>
    public void CopyFromHost(ReadOnlySpan<float> source, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckOwn(destination, nameof(destination));
        if (destination.DType != DType.Float32 || source.Length > destination.Length)
        {
            throw new ArgumentException("source must be no longer than a float32 destination.", nameof(source));
        }

        Upload(destination.Buffer, destination.ByteOffset, MemoryMarshal.AsBytes(source));
    }

    /// <summary>
    /// Copies every element of the float32 tensor <paramref name="source"/> into
    /// <paramref name="destination"/> on this backend's device (same element count, any shapes, no
    /// overlap): how a result reaches memory another framework owns without a trip through the host.
    /// </summary>
    public void Copy(Tensor source, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        CheckOwn(source, nameof(source));
        CheckOwn(destination, nameof(destination));
        if (source.DType != DType.Float32 || destination.DType != DType.Float32)
        {
            throw new GslArgumentException(source.DType != DType.Float32 ? nameof(source) : nameof(destination), "must be float32");
        }

        if (source.Length != destination.Length)
        {
            throw new GslArgumentException(nameof(destination), $"has {destination.Length} elements but source has {source.Length}");
        }

        Validation.Guard.Separate(destination, nameof(destination), source, nameof(source));
        if (source.Length > 0)
        {
            Kernels.Copy(source, destination);
        }
    }

    /// <summary>Allocates <paramref name="bytes"/> of device memory.</summary>
    protected internal abstract DeviceBuffer AllocateBuffer(long bytes);

    /// <summary>Wraps memory the library does not own.</summary>
    protected internal abstract DeviceBuffer WrapBuffer(nint pointer, long bytes);

    /// <summary>Host to device copy.</summary>
    protected internal abstract void Upload(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source);

    /// <summary>Device to host copy.</summary>
    protected internal abstract void Download(DeviceBuffer source, long byteOffset, Span<byte> destination);

    /// <summary>
    /// Releases device resources (contexts, queues, compiled programs), except for a backend that
    /// <see cref="BackendRegistry.Open"/> handed out: that one is shared by the whole process, and
    /// releasing it under its other users (or under the registry, which hands it out again) would
    /// leave them a released context; its resources go with the process.
    /// </summary>
    public void Dispose()
    {
        if (SharedForProcess)
        {
            return;
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Set by <see cref="BackendRegistry"/> on the backends it shares: <see cref="Dispose()"/> leaves them open.</summary>
    internal bool SharedForProcess { get; set; }

    /// <summary>Backend hook for <see cref="Dispose()"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({DeviceName})";

    internal void CheckOwn(Tensor tensor, string argument)
    {
        if (!ReferenceEquals(tensor.Backend, this))
        {
            throw new GslArgumentException(argument, $"lives on backend '{tensor.Backend.Name}', not '{Name}'");
        }
    }

    private static long[] CheckShape(long[] shape)
    {
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new GslArgumentException("shape", $"dimension {d} is negative");
            }
        }

        return (long[])shape.Clone();
    }

    /// <summary>The bytes a tensor of <paramref name="dims"/> takes; a shape past 2^63 bytes is the caller's argument error, not an arithmetic one.</summary>
    private static long ByteCount(long[] dims, DType dtype)
    {
        try
        {
            return checked(ElementCount(dims) * dtype.SizeInBytes());
        }
        catch (OverflowException)
        {
            throw new GslArgumentException("shape", $"({string.Join(", ", dims)}) of {dtype} is more than 2^63 bytes");
        }
    }

    private static long ElementCount(long[] dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            n = checked(n * d);
        }

        return n;
    }
}
