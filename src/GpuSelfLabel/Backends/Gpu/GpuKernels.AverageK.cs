using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    private const string AverageKFile = "average_k.cu";

    void IBackendKernels.AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram, Tensor scratch) =>
        LaunchAverageKKeyHistogram(scores, excludedLabels, prefix, prefixBits, binBits, histogram, scratch);

    void IBackendKernels.AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts, Tensor scratch) =>
        LaunchAverageKTieCounts(scores, excludedLabels, key, rowCounts, scratch);

    void IBackendKernels.AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets, Tensor scratch) =>
        LaunchAverageKMarkTargets(scores, labels, excludeLabels, key, tieQuota, targets, scratch);

    uint IBackendKernels.AverageKMaxKeyBelow(Tensor scores, uint key, Tensor scratch) => LaunchAverageKMaxKeyBelow(scores, key, scratch);

    long IBackendKernels.AverageKLabelHits(Tensor scores, Tensor labels, float value, Tensor scratch) => LaunchAverageKLabelHits(scores, labels, value, scratch);

    double IBackendKernels.TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale, Tensor scratch) =>
        LaunchTwoHeadSoftmaxHead(logits, labels, probs, dlogits, scale, scratch);

    double IBackendKernels.TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale, Tensor scratch) =>
        LaunchTwoHeadMultilabelHead(logits, targets, dlogits, scale, scratch);

    // Every pass keeps its per-group partials in the caller's scratch (AverageKLaunch.ScratchElements):
    // the passes run one after another on one queue, so each reuses its start.

    /// <summary>One histogram round: per-group counts of each chunk, then their 64-bit totals per bin, downloaded and added.</summary>
    private void LaunchAverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "average_k_key_histogram");
        var total = Kernel(AverageKFile, "average_k_histogram_total");
        var (mask, value, binShift) = AverageKLaunch.Prefix(prefix, prefixBits, binBits);
        int bins = 1 << binBits;
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        var grid = AverageKLaunch.Histogram(scores.Length, groupSize, overrides.MaxGroups);
        var partials = Part(scratch, 0, AverageKLaunch.HalfElements(grid.Groups * bins));
        var totals = Part(scratch, AverageKLaunch.TotalsOffset(scores.Rows, scores.Columns), bins);

        // Without labels the scores stand in for the unread label pointer.
        Launch(kernel, grid.Groups, groupSize, new KernelArguments()
            .Buffer(scores).Buffer(excludedLabels ?? scores).Int(excludedLabels is null ? 0 : 1).Index(scores.Rows).Index(scores.Columns)
            .Index(grid.Chunk).Int(unchecked((int)mask)).Int(unchecked((int)value)).Int(binShift).Int(bins).Buffer(partials));
        int totalSize = RowGroupSize(total, bins);
        Launch(total, (bins + totalSize - 1) / totalSize, totalSize, new KernelArguments()
            .Buffer(partials).Index(grid.Groups).Int(bins).Buffer(totals));
        var counts = new long[bins];
        DownloadPart(totals, MemoryMarshal.AsBytes(counts.AsSpan()));
        AverageKLaunch.AddTotals(histogram, counts);
    }

    private void LaunchAverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "average_k_tie_counts");
        long rows = scores.Rows;
        var counts = Part(scratch, 0, rows);
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, scores.Columns), new KernelArguments()
            .Buffer(scores).Buffer(excludedLabels ?? scores).Int(excludedLabels is null ? 0 : 1).Index(rows).Index(scores.Columns)
            .Int(unchecked((int)key)).Buffer(counts));
        DownloadPart(counts, MemoryMarshal.AsBytes(rowCounts.AsSpan(0, checked((int)rows))));
    }

    private void LaunchAverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "average_k_mark_targets");
        long rows = scores.Rows;
        var quota = Part(scratch, 0, rows);
        Device.Upload(quota.Buffer, quota.ByteOffset, MemoryMarshal.AsBytes(tieQuota.AsSpan(0, checked((int)rows))));
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, scores.Columns), new KernelArguments()
            .Buffer(scores).Buffer(labels).Int(excludeLabels ? 1 : 0).Index(rows).Index(scores.Columns)
            .Int(unchecked((int)key)).Buffer(quota).Buffer(targets));
    }

    private uint LaunchAverageKMaxKeyBelow(Tensor scores, uint key, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "average_k_max_key_below");
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        long groups = AverageKLaunch.FlatGroupCount(scores.Length, groupSize, overrides.MaxGroups);
        var partials = Part(scratch, 0, AverageKLaunch.HalfElements(groups));
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(scores).Index(scores.Length).Int(unchecked((int)key)).Buffer(partials));
        var best = new uint[groups];
        DownloadPart(partials, MemoryMarshal.AsBytes(best.AsSpan()));
        return AverageKLaunch.Max(best);
    }

    private long LaunchAverageKLabelHits(Tensor scores, Tensor labels, float value, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "average_k_label_hits");
        long rows = scores.Rows;
        int groupSize = RowGroupSize(kernel, rows);
        long groups = AverageKLaunch.FlatGroupCount(rows, groupSize, overrides.MaxGroups);
        var partials = Part(scratch, 0, groups);
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(scores).Buffer(labels).Index(rows).Index(scores.Columns).Float(value).Buffer(partials));
        var hits = new long[groups];
        DownloadPart(partials, MemoryMarshal.AsBytes(hits.AsSpan()));
        return hits.Sum();
    }

    private double LaunchTwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "two_head_softmax_head");
        long rows = logits.Rows;
        long groups = RowGroups(rows);
        var partials = Part(scratch, 0, groups);
        Launch(kernel, groups, RowGroupSize(kernel, logits.Columns), new KernelArguments()
            .Buffer(logits).Buffer(labels).Buffer(probs).Buffer(dlogits).Index(rows).Index(logits.Columns).Double(scale).Buffer(partials));
        var losses = new double[groups];
        DownloadPart(partials, MemoryMarshal.AsBytes(losses.AsSpan()));
        return AverageKLaunch.Sum(losses);
    }

    private double LaunchTwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale, Tensor scratch)
    {
        var kernel = Kernel(AverageKFile, "two_head_multilabel_head");
        int groupSize = RowGroupSize(kernel, long.MaxValue);
        long groups = AverageKLaunch.FlatGroupCount(logits.Length, groupSize, overrides.MaxGroups);
        var partials = Part(scratch, 0, groups);
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(logits).Buffer(targets).Buffer(dlogits).Index(logits.Length).Double(scale).Buffer(partials));
        var losses = new double[groups];
        DownloadPart(partials, MemoryMarshal.AsBytes(losses.AsSpan()));
        return AverageKLaunch.Sum(losses);
    }
}
