using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    double IBackendKernels.Sum(Tensor vector) => LaunchSum(vector);

    /// <summary>sum_partials writes one float64 partial per group; the host adds them in group order.</summary>
    private double LaunchSum(Tensor vector)
    {
        long length = vector.Length;
        if (length == 0)
        {
            return 0;
        }

        var kernel = Kernel("reductions.cu", "sum_partials");
        int groupSize = RowGroupSize(kernel, length);
        int groups = DeviceSum.Groups(length, groupSize, overrides.MaxGroups);
        using var partials = Device.AllocateBuffer(groups * sizeof(double));
        Launch(kernel, groups, groupSize, new KernelArguments().Buffer(vector).Index(length).Buffer(partials));
        var values = new double[groups];
        Device.Download(partials, 0, MemoryMarshal.AsBytes(values.AsSpan()));
        return DeviceSum.Total(values);
    }
}
