namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The embedded default backend: tensors in native host memory, operations in plain C# with
/// TensorPrimitives (SIMD) inside a row and Parallel.For across rows. It is also the independent
/// second implementation every GPU kernel is tested against.
/// </summary>
internal sealed class CpuBackend : Backend
{
    private CpuBackend()
    {
    }

    public static CpuBackend Instance { get; } = new();

    public override string Name => "cpu";

    public override string DeviceName => $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}";

    internal override bool HostAddressable => true;

    internal override long AvailableMemoryBytes => HostMemory.Available();

    internal override long ReductionScratchElements(long columns) => 1;

    internal override long EmScratchElements(long columns) => 1;

    internal override long ScanScratchElements(long length) => 1;

    internal override long AverageKScratchElements(long rows, long columns) => 1;

    internal override long SelfClassifierScratchElements(long views, long samples, long classes) => 1;

    internal override int MaxReductionBlocks => SinkhornRowMath.MaxReductionBlocks;

    internal override IBackendKernels Kernels { get; } = new CpuKernels();

    protected internal override DeviceBuffer AllocateBuffer(long bytes) => CpuBuffer.Allocate(bytes);

    protected internal override DeviceBuffer WrapBuffer(nint pointer, long bytes) => CpuBuffer.View(pointer, bytes);

    protected internal override unsafe void Upload(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source) =>
        source.CopyTo(new Span<byte>((byte*)destination.Handle + byteOffset, source.Length));

    protected internal override unsafe void Download(DeviceBuffer source, long byteOffset, Span<byte> destination) =>
        new ReadOnlySpan<byte>((byte*)source.Handle + byteOffset, destination.Length).CopyTo(destination);
}
