namespace GpuSelfLabel.Backends.Gpu;

/// <summary>One compiled kernel of a GPU backend, as the shared launchers see it.</summary>
internal abstract class GpuKernel
{
    protected GpuKernel(string file, string name, int maxGroupSize)
    {
        File = file;
        Name = name;
        MaxGroupSize = maxGroupSize;
    }

    /// <summary>The kernels/ file it was compiled from.</summary>
    public string File { get; }

    /// <summary>The kernel's name in that file.</summary>
    public string Name { get; }

    /// <summary>The device's limit on the group size of this kernel: the launcher never exceeds it.</summary>
    public int MaxGroupSize { get; }
}
