using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    double IBackendKernels.Sum(Tensor vector, Tensor scratch) => LaunchSum(vector, scratch);

    /// <summary>
    /// sum_partials writes one float64 partial per group into the caller's scratch; the host adds them
    /// in group order.
    /// </summary>
    private double LaunchSum(Tensor vector, Tensor scratch)
    {
        long length = vector.Length;
        if (length == 0)
        {
            return 0;
        }

        var kernel = Kernel("reductions.cu", "sum_partials");
        int groupSize = RowGroupSize(kernel, length);
        int groups = DeviceSum.Groups(length, groupSize, overrides.MaxGroups);
        var partials = Part(scratch, 0, groups);
        Launch(kernel, groups, groupSize, new KernelArguments().Buffer(vector).Index(length).Buffer(partials));
        var values = new double[groups];
        DownloadPart(partials, MemoryMarshal.AsBytes(values.AsSpan()));
        return DeviceSum.Total(values);
    }

    /// <summary>Downloads the start of a scratch view (<see cref="Part"/>) into <paramref name="destination"/>.</summary>
    private void DownloadPart(Tensor part, Span<byte> destination) => Device.Download(part.Buffer, part.ByteOffset, destination);
}
