using System.Numerics.Tensors;
using GpuSelfLabel.Selection;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    public void AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram)
    {
        int prefixShift = 32 - prefixBits;
        int binShift = prefixShift - binBits;
        uint binMask = (1u << binBits) - 1;
        var gate = new object();

        // Integer counts add up to the same totals in any order, so thread-local histograms are deterministic.
        ForRowBlocks(scores, () => new long[histogram.Length], (start, end, local) =>
        {
            for (long i = start; i < end; i++)
            {
                var s = CpuRows.Row(scores, i);
                if (prefixBits == 0)
                {
                    foreach (float v in s)
                    {
                        local[(OrderedKey.FromSingle(v) >> binShift) & binMask]++;
                    }
                }
                else
                {
                    foreach (float v in s)
                    {
                        uint key = OrderedKey.FromSingle(v);
                        if (key >> prefixShift == prefix)
                        {
                            local[(key >> binShift) & binMask]++;
                        }
                    }
                }

                // Counting the excluded entry and taking it back keeps the inner loops free of a column test.
                if (excludedLabels is not null)
                {
                    uint key = OrderedKey.FromSingle(s[Labels(excludedLabels)[(int)i]]);
                    if (prefixBits == 0 || key >> prefixShift == prefix)
                    {
                        local[(key >> binShift) & binMask]--;
                    }
                }
            }
        }, local =>
        {
            lock (gate)
            {
                TensorPrimitives.Add<long>(histogram, local, histogram);
            }
        });
    }

    public void AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts)
    {
        CpuRows.ForBlocks(scores.Rows, scores.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                var s = CpuRows.Row(scores, i);
                int skip = excludedLabels is null ? -1 : Labels(excludedLabels)[(int)i];
                long count = 0;
                for (int j = 0; j < s.Length; j++)
                {
                    if (j != skip && OrderedKey.FromSingle(s[j]) == key)
                    {
                        count++;
                    }
                }

                rowCounts[i] = count;
            }
        });
    }

    public void AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets)
    {
        CpuRows.ForBlocks(scores.Rows, scores.Columns, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                var s = CpuRows.Row(scores, i);
                var z = CpuRows.Row(targets, i);
                int label = Labels(labels)[(int)i];
                long quota = tieQuota[i];
                for (int j = 0; j < s.Length; j++)
                {
                    bool chosen = false;
                    if (!(excludeLabels && j == label))
                    {
                        uint k = OrderedKey.FromSingle(s[j]);
                        chosen = k > key || (k == key && quota-- > 0);
                    }

                    z[j] = chosen || j == label ? 1f : 0f;
                }
            }
        });
    }

    public uint AverageKMaxKeyBelow(Tensor scores, uint key)
    {
        uint best = uint.MinValue;
        var gate = new object();
        ForRowBlocks(scores, () => new uint[1], (start, end, local) =>
        {
            for (long i = start; i < end; i++)
            {
                foreach (float v in CpuRows.Row(scores, i))
                {
                    uint k = OrderedKey.FromSingle(v);
                    if (k < key && k > local[0])
                    {
                        local[0] = k;
                    }
                }
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

    public long AverageKLabelHits(Tensor scores, Tensor labels, float value)
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

    public double TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale)
    {
        int classes = (int)logits.Columns;
        return SumOverRowBlocks(logits.Rows, classes, (start, end) =>
        {
            var x = new double[classes];
            double sum = 0;
            for (long i = start; i < end; i++)
            {
                var a = CpuRows.Row(logits, i);
                var p = CpuRows.Row(probs, i);
                var d = CpuRows.Row(dlogits, i);
                int label = Labels(labels)[(int)i];
                float max = TensorPrimitives.Max<float>(a);
                ScaledDifference(a, max, 1.0, x);
                double logSum = Math.Log(SumExp(x));
                sum += logSum - x[label];
                TensorPrimitives.Subtract<double>(x, logSum, x);
                TensorPrimitives.Exp<double>(x, x);
                for (int j = 0; j < classes; j++)
                {
                    p[j] = (float)x[j];
                    d[j] = (float)((j == label ? x[j] - 1.0 : x[j]) * scale);
                }
            }

            return sum;
        });
    }

    public double TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale)
    {
        return SumOverRowBlocks(logits.Rows, logits.Columns, (start, end) =>
        {
            double sum = 0;
            for (long i = start; i < end; i++)
            {
                var b = CpuRows.Row(logits, i);
                var z = CpuRows.Row(targets, i);
                var d = CpuRows.Row(dlogits, i);
                for (int j = 0; j < b.Length; j++)
                {
                    double x = b[j];
                    double e = Math.Exp(-Math.Abs(x));
                    double tail = LogOnePlus(e);
                    double sigmoid = x >= 0 ? 1 / (1 + e) : e / (1 + e);

                    // softplus(x) − z·x written per 0/1 target without the cancellation of softplus(x) − x.
                    double z64 = z[j];
                    sum += (z64 * (Math.Max(-x, 0) + tail)) + ((1 - z64) * (Math.Max(x, 0) + tail));
                    d[j] = (float)((sigmoid - z64) * scale);
                }
            }

            return sum;
        });
    }

    /// <summary>ln(1 + e) for 0 ≤ e ≤ 1, accurate for tiny e where 1 + e would round.</summary>
    private static double LogOnePlus(double e) =>
        e < 1e-4 ? e * (1 - (e * ((1.0 / 2) - (e * (1.0 / 3))))) : Math.Log(1 + e);

    /// <summary>Σ exp(x) over a float64 row whose entries are ≤ 0, without changing it.</summary>
    private static double SumExp(ReadOnlySpan<double> x)
    {
        const int Chunk = 256;
        Span<double> buffer = stackalloc double[Chunk];
        double sum = 0;
        for (int k = 0; k < x.Length; k += Chunk)
        {
            var part = x.Slice(k, Math.Min(Chunk, x.Length - k));
            var e = buffer[..part.Length];
            TensorPrimitives.Exp<double>(part, e);
            sum += TensorPrimitives.Sum<double>(e);
        }

        return sum;
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
