using System.Numerics.Tensors;
using GpuSelfLabel.Selection;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>
    /// Two 16-bit rounds: the first counts every score into 2^16 bins (256 KB per thread, in the
    /// second-level cache), which leaves so few candidates sharing the top 16 bits that the second round
    /// is a SIMD scan bound by memory; two reads of the scores where 11 + 11 + 10 bits take three.
    /// </summary>
    public ReadOnlySpan<int> AverageKRoundBits => [16, 16];

    /// <summary>
    /// The largest gradient scale μ/B for which the float32 multi-label head meets the contract: its
    /// exponentials flush below 1.2e-38, an absolute error of at most 1.2e-8 in the gradient at this scale.
    /// </summary>
    private const double MaxSingleScale = 1e30;

    public void AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram, Tensor scratch)
    {
        int prefixShift = 32 - prefixBits;
        int binShift = prefixShift - binBits;
        uint binMask = (1u << binBits) - 1;
        var gate = new object();

        // Integer counts add up to the same totals in any order, so thread-local histograms are deterministic.
        ForRowBlocks(scores, () => new KeyCounts(binBits, prefixBits == 0), (start, end, local) =>
        {
            for (long i = start; i < end; i++)
            {
                // Both rounds do little arithmetic per byte, so DRAM latency would show: the row after
                // next is requested ahead, as in the other row scans.
                CpuPrefetch.Row(scores, i + 2);
                var s = CpuRows.Row(scores, i);
                if (prefixBits == 0)
                {
                    local.AddAll(s, binShift);
                }
                else
                {
                    KeyRows.AddMatching(s, prefix, prefixShift, binShift, binMask, local.Totals);
                }

                // Counting the excluded entry and taking it back keeps the inner loops free of a column test.
                if (excludedLabels is not null)
                {
                    uint key = OrderedKey.FromSingle(s[Labels(excludedLabels)[(int)i]]);
                    if (prefixBits == 0 || key >> prefixShift == prefix)
                    {
                        local.Totals[(key >> binShift) & binMask]--;
                    }
                }
            }
        }, local =>
        {
            local.Flush();
            lock (gate)
            {
                TensorPrimitives.Add<long>(histogram, local.Totals, histogram);
            }
        });
    }

    public void AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts, Tensor scratch)
    {
        CpuRows.ForBlocks(scores.Rows, scores.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(scores, i + 2);
                var s = CpuRows.Row(scores, i);
                long count = KeyRows.CountEqual(s, key);
                if (excludedLabels is not null && OrderedKey.FromSingle(s[Labels(excludedLabels)[(int)i]]) == key)
                {
                    count--;
                }

                rowCounts[i] = count;
            }
        });
    }

    public void AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets, Tensor scratch)
    {
        CpuRows.ForBlocks(scores.Rows, scores.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(scores, i + 2);
                var s = CpuRows.Row(scores, i);
                var z = CpuRows.Row(targets, i);
                int label = Labels(labels)[(int)i];
                KeyRows.MarkRow(s, z, key, tieQuota[i], excludeLabels ? label : -1);
                z[label] = 1f;
            }
        });
    }

    public uint AverageKMaxKeyBelow(Tensor scores, uint key, Tensor scratch)
    {
        uint best = uint.MinValue;
        var gate = new object();
        ForRowBlocks(scores, () => new uint[1], (start, end, local) =>
        {
            for (long i = start; i < end; i++)
            {
                local[0] = Math.Max(local[0], KeyRows.MaxKeyBelow(CpuRows.Row(scores, i), key));
            }
        }, local =>
        {
            lock (gate)
            {
                best = Math.Max(best, local[0]);
            }
        });
        return best;
    }

    public long AverageKLabelHits(Tensor scores, Tensor labels, float value, Tensor scratch)
    {
        var y = Labels(labels);
        long hits = 0;
        for (long i = 0; i < scores.Rows; i++)
        {
            if (CpuRows.Row(scores, i)[y[(int)i]] >= value)
            {
                hits++;
            }
        }

        return hits;
    }

    public double TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale, Tensor scratch)
    {
        int classes = (int)logits.Columns;
        return SumOverRowBlocks(logits.Rows, classes, (start, end) =>
        {
            var e = new double[classes];
            double sum = 0;
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(logits, i + 2);
                sum += TwoHeadRowMath.SoftmaxHead(CpuRows.Row(logits, i), Labels(labels)[(int)i], CpuRows.Row(probs, i), CpuRows.Row(dlogits, i), scale, e);
            }

            return sum;
        });
    }

    public double TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale, Tensor scratch)
    {
        // Past MaxSingleScale the float32 exponential's flush to zero below e^-87.3 (≤ 1.2e-38 of σ)
        // could exceed the contract's 1e-6 once scaled, so such rows are done in float64.
        bool precise = scale > MaxSingleScale;
        float scale32 = (float)scale;
        return SumOverRowBlocks(logits.Rows, logits.Columns, (start, end) =>
        {
            double sum = 0;
            for (long i = start; i < end; i++)
            {
                CpuPrefetch.Row(logits, i + 2);
                CpuPrefetch.Row(targets, i + 2);
                var b = CpuRows.Row(logits, i);
                var z = CpuRows.Row(targets, i);
                var d = CpuRows.Row(dlogits, i);
                sum += precise ? TwoHeadRowMath.PreciseBinaryCrossEntropy(b, z, d, scale) : TwoHeadRowMath.BinaryCrossEntropy(b, z, d, scale32);
            }

            return sum;
        });
    }

    private static unsafe ReadOnlySpan<int> Labels(Tensor labels) =>
        new((int*)(labels.Buffer.Handle + (nint)labels.ByteOffset), checked((int)labels.Length));

    /// <summary>Runs <paramref name="body"/> over the same fixed row blocks as <see cref="CpuRows.ForBlocks"/> with thread-local state.</summary>
    private static void ForRowBlocks<TLocal>(Tensor tensor, Func<TLocal> init, Action<long, long, TLocal> body, Action<TLocal> merge)
    {
        long rowsPerBlock = CpuRows.BlockRows(tensor.Rows, tensor.Columns);
        long blocks = CpuRows.BlockCount(tensor.Rows, tensor.Columns);
        Parallel.For(0L, blocks, init, (b, _, local) =>
        {
            body(b * rowsPerBlock, Math.Min(tensor.Rows, (b + 1) * rowsPerBlock), local);
            return local;
        }, merge);
    }

    /// <summary>A float64 sum over row blocks, partials added in block order so the result never depends on threads.</summary>
    private static double SumOverRowBlocks(long rows, long columns, Func<long, long, double> body)
    {
        long rowsPerBlock = CpuRows.BlockRows(rows, columns);
        long blocks = CpuRows.BlockCount(rows, columns);
        var partials = new double[blocks];
        CpuRows.ForBlocks(rows, columns, (start, end) => partials[start / rowsPerBlock] = body(start, end));
        double total = 0;
        foreach (var p in partials)
        {
            total += p;
        }

        return total;
    }
}
