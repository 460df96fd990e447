namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>Elements below which one core copies alone (thread hand-off would cost more than it saves).</summary>
    private const long ParallelCopyThreshold = 1 << 18;

    /// <summary>
    /// A streaming copy: one contiguous slice per core, each a single memmove, so every core streams
    /// through its own range with the hardware prefetchers engaged and the runtime's large-copy path
    /// (non-temporal stores past the cache size) does the writing.
    /// </summary>
    public void Copy(Tensor source, Tensor destination)
    {
        var from = CpuRows.All(source);
        long count = from.Length;
        int parts = count < ParallelCopyThreshold ? 1 : Environment.ProcessorCount;
        if (parts == 1)
        {
            from.CopyTo(CpuRows.All(destination));
            return;
        }

        Parallel.For(0, parts, p =>
        {
            int start = (int)(count * p / parts);
            int end = (int)(count * (p + 1) / parts);
            CpuRows.All(source)[start..end].CopyTo(CpuRows.All(destination)[start..end]);
        });
    }
}
