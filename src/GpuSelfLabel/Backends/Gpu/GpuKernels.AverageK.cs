using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    private const string AverageKFile = "average_k.cu";

    void IBackendKernels.AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram) =>
        LaunchAverageKKeyHistogram(scores, excludedLabels, prefix, prefixBits, binBits, histogram);

    void IBackendKernels.AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts) =>
        LaunchAverageKTieCounts(scores, excludedLabels, key, rowCounts);

    void IBackendKernels.AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets) =>
        LaunchAverageKMarkTargets(scores, labels, excludeLabels, key, tieQuota, targets);

    uint IBackendKernels.AverageKMaxKeyBelow(Tensor scores, uint key) => LaunchAverageKMaxKeyBelow(scores, key);

    long IBackendKernels.AverageKLabelHits(Tensor scores, Tensor labels, float value) => LaunchAverageKLabelHits(scores, labels, value);

    double IBackendKernels.TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale) =>
        LaunchTwoHeadSoftmaxHead(logits, labels, probs, dlogits, scale);

    double IBackendKernels.TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale) =>
        LaunchTwoHeadMultilabelHead(logits, targets, dlogits, scale);

    /// <summary>One histogram round: per-group counts of each chunk, then their 64-bit totals per bin, downloaded and added.</summary>
    private void LaunchAverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram)
    {
        var kernel = Kernel(AverageKFile, "average_k_key_histogram");
        var total = Kernel(AverageKFile, "average_k_histogram_total");
        var (mask, value, binShift) = AverageKLaunch.Prefix(prefix, prefixBits, binBits);
        int bins = 1 << binBits;
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        var grid = AverageKLaunch.Histogram(scores.Length, groupSize, overrides.MaxGroups);
        using var partials = Device.AllocateBuffer(grid.Groups * bins * sizeof(int));
        using var totals = Device.AllocateBuffer(bins * sizeof(long));

        // Without labels the scores stand in for the unread label pointer.
        Launch(kernel, grid.Groups, groupSize, new KernelArguments()
            .Buffer(scores).Buffer(excludedLabels ?? scores).Int(excludedLabels is null ? 0 : 1).Index(scores.Rows).Index(scores.Columns)
            .Index(grid.Chunk).Int(unchecked((int)mask)).Int(unchecked((int)value)).Int(binShift).Int(bins).Buffer(partials));
        int totalSize = RowGroupSize(total, bins);
        Launch(total, (bins + totalSize - 1) / totalSize, totalSize, new KernelArguments()
            .Buffer(partials).Index(grid.Groups).Int(bins).Buffer(totals));
        var counts = new long[bins];
        Device.Download(totals, 0, MemoryMarshal.AsBytes(counts.AsSpan()));
        AverageKLaunch.AddTotals(histogram, counts);
    }

    private void LaunchAverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts)
    {
        var kernel = Kernel(AverageKFile, "average_k_tie_counts");
        long rows = scores.Rows;
        using var counts = Device.AllocateBuffer(rows * sizeof(long));
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, scores.Columns), new KernelArguments()
            .Buffer(scores).Buffer(excludedLabels ?? scores).Int(excludedLabels is null ? 0 : 1).Index(rows).Index(scores.Columns)
            .Int(unchecked((int)key)).Buffer(counts));
        Device.Download(counts, 0, MemoryMarshal.AsBytes(rowCounts.AsSpan(0, checked((int)rows))));
    }

    private void LaunchAverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets)
    {
        var kernel = Kernel(AverageKFile, "average_k_mark_targets");
        long rows = scores.Rows;
        using var quota = Device.AllocateBuffer(rows * sizeof(long));
        Device.Upload(quota, 0, MemoryMarshal.AsBytes(tieQuota.AsSpan(0, checked((int)rows))));
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, scores.Columns), new KernelArguments()
            .Buffer(scores).Buffer(labels).Int(excludeLabels ? 1 : 0).Index(rows).Index(scores.Columns)
            .Int(unchecked((int)key)).Buffer(quota).Buffer(targets));
    }

    private uint LaunchAverageKMaxKeyBelow(Tensor scores, uint key)
    {
        var kernel = Kernel(AverageKFile, "average_k_max_key_below");
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        long groups = AverageKLaunch.FlatGroupCount(scores.Length, groupSize, overrides.MaxGroups);
        using var partials = Device.AllocateBuffer(groups * sizeof(uint));
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(scores).Index(scores.Length).Int(unchecked((int)key)).Buffer(partials));
        var best = new uint[groups];
        Device.Download(partials, 0, MemoryMarshal.AsBytes(best.AsSpan()));
        return AverageKLaunch.Max(best);
    }

    private long LaunchAverageKLabelHits(Tensor scores, Tensor labels, float value)
    {
        var kernel = Kernel(AverageKFile, "average_k_label_hits");
        long rows = scores.Rows;
        int groupSize = RowGroupSize(kernel, rows);
        long groups = AverageKLaunch.FlatGroupCount(rows, groupSize, overrides.MaxGroups);
        using var partials = Device.AllocateBuffer(groups * sizeof(long));
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(scores).Buffer(labels).Index(rows).Index(scores.Columns).Float(value).Buffer(partials));
        var hits = new long[groups];
        Device.Download(partials, 0, MemoryMarshal.AsBytes(hits.AsSpan()));
        return hits.Sum();
    }

    private double LaunchTwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale)
    {
        var kernel = Kernel(AverageKFile, "two_head_softmax_head");
        long rows = logits.Rows;
        long groups = RowGroups(rows);
        using var partials = Device.AllocateBuffer(groups * sizeof(double));
        Launch(kernel, groups, RowGroupSize(kernel, logits.Columns), new KernelArguments()
            .Buffer(logits).Buffer(labels).Buffer(probs).Buffer(dlogits).Index(rows).Index(logits.Columns).Double(scale).Buffer(partials));
        var losses = new double[groups];
        Device.Download(partials, 0, MemoryMarshal.AsBytes(losses.AsSpan()));
        return AverageKLaunch.Sum(losses);
    }

    private double LaunchTwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale)
    {
        var kernel = Kernel(AverageKFile, "two_head_multilabel_head");
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        long groups = AverageKLaunch.FlatGroupCount(logits.Length, groupSize, overrides.MaxGroups);
        using var partials = Device.AllocateBuffer(groups * sizeof(double));
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(logits).Buffer(targets).Buffer(dlogits).Index(logits.Length).Double(scale).Buffer(partials));
        var losses = new double[groups];
        Device.Download(partials, 0, MemoryMarshal.AsBytes(losses.AsSpan()));
        return AverageKLaunch.Sum(losses);
    }
}
