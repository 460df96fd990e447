namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    /// <summary>
    /// Groups of the copy kernel: enough to cover the data one element per work-item up to this many,
    /// then the kernel's grid-stride loop takes over (four loads in flight per work-item); 2^16 groups
    /// of 256 is about 120 resident groups per SM on the largest GPUs, far beyond what saturates DRAM.
    /// </summary>
    private const long MaxCopyGroups = 1L << 16;

    void IBackendKernels.Copy(Tensor source, Tensor destination) => LaunchCopy(source, destination);

    private void LaunchCopy(Tensor source, Tensor destination)
    {
        long count = source.Length;
        if (count == 0)
        {
            return;
        }

        var kernel = Kernel("copy.cu", "copy_stream");

        // Tests force small groups and grids so that the grid-stride loop and its tail run on small data.
        int groupSize = overrides.GroupSize ?? LaunchShape.FloorPowerOfTwo(Math.Min(LaunchShape.MaxLocalSize, kernel.MaxGroupSize));
        long groups = Math.Clamp((count + groupSize - 1) / groupSize, 1, overrides.MaxGroups ?? MaxCopyGroups);
        Launch(kernel, groups, groupSize, new KernelArguments().Buffer(source).Buffer(destination).Index(count));
    }
}
