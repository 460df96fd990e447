using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// Moves small float64 vectors (K column sums, K weights) between the host and a backend, the only
/// traffic an iterative driver needs per iteration besides a few scalars.
/// </summary>
internal static class HostVectors
{
    public static Tensor Allocate(Backend backend, long length) => backend.Allocate(DType.Float64, length);

    public static void Write(Tensor destination, ReadOnlySpan<double> values) =>
        destination.Backend.Upload(destination.Buffer, destination.ByteOffset, MemoryMarshal.AsBytes(values));

    public static void Read(Tensor source, Span<double> values) =>
        source.Backend.Download(source.Buffer, source.ByteOffset, MemoryMarshal.AsBytes(values));
}
