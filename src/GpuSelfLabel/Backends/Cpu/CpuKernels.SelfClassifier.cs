using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

/// <remarks>
/// Float64 throughout, as the float64-pair statistics demand (see <see cref="DoubleExp"/> for why
/// float32 exponentials would not do), but each pass reads a logit row once and does all its
/// per-element work in one fused SIMD loop (<see cref="SelfClassifierRowMath"/>). Pass 1 also
/// writes ColumnMax and ColumnSumR, because it holds each row's exponentials already; pass 2 then
/// only sums the column softmax. Every column sum is a per-block partial (blocks fixed by the
/// shape) merged in block order, so results do not depend on the thread count.
/// </remarks>
internal sealed partial class CpuKernels
{
    /// <summary>Work per block of a column reduction, and the most blocks one may use (bounds the partials' memory).</summary>
    private const long ColumnBlockElements = 1 << 16;
    private const long MaxColumnBlocks = 32;

    /// <summary>Rows ahead that the row passes prefetch: far enough to cover DRAM latency behind one row's arithmetic.</summary>
    private const int SelfClassifierPrefetchRows = 2;

    public void SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        int views = workspace.Views;
        long samples = workspace.Samples;
        int classes = (int)workspace.Classes;
        int padded = SelfClassifierRowMath.Padded(classes);
        long rowsPerBlock = ColumnBlockRows(samples, classes);
        int blocks = (int)((samples + rowsPerBlock - 1) / rowsPerBlock);
        double inverseTau = 1.0 / workspace.TauRow;
        int half = (int)(views * samples);
        var maxima = new float[views * blocks][];
        var sumsR = new double[views * blocks][];
        Parallel.For(0, views * blocks, task =>
        {
            int v = task / blocks;
            long start = (task % blocks) * rowsPerBlock;
            long end = Math.Min(samples, start + rowsPerBlock);
            var columnMax = new float[classes];
            Array.Fill(columnMax, float.NegativeInfinity);
            var sumR = new double[padded];
            var e = new double[padded];
            var rowMax = CpuRows.All(workspace.RowMax);
            var rowLogSum = CpuRows.All(workspace.RowLogSum);
            for (long n = start; n < end; n++)
            {
                long row = (v * samples) + n;
                CpuPrefetch.Row(logits, row + SelfClassifierPrefetchRows);
                var s = CpuRows.Row(logits, row);
                float max = SelfClassifierRowMath.RowAndColumnMax(s, columnMax);
                double sum = SelfClassifierRowMath.ExpOfShifted(s, max, inverseTau, e);
                rowMax[(int)row] = max;
                CpuPairs.Set(rowLogSum, half, row, Math.Log(sum));

                // R = e / Σe: the row softmax that pass 3 recomputes as exp(S/τ_r − (max/τ_r + ln Σe)), the same to 1e-13.
                SelfClassifierRowMath.AddScaled(e, 1.0 / sum, sumR);
            }

            maxima[task] = columnMax;
            sumsR[task] = sumR;
        });

        var columnMaxAll = CpuRows.All(workspace.ColumnMax);
        var sumRAll = new double[views * classes];
        for (int v = 0; v < views; v++)
        {
            var m = columnMaxAll.Slice(v * classes, classes);
            var r = sumRAll.AsSpan(v * classes, classes);
            maxima[v * blocks].CopyTo(m);
            for (int b = 0; b < blocks; b++)
            {
                // The maximum is exact and order-free; the sums merge in block order.
                TensorPrimitives.Max(m, maxima[(v * blocks) + b], m);
                TensorPrimitives.Add<double>(r, sumsR[(v * blocks) + b].AsSpan(0, classes), r);
            }
        }

        CpuPairs.Write(workspace.ColumnSumR, sumRAll);
    }

    public void SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        int views = workspace.Views;
        long samples = workspace.Samples;
        int classes = (int)workspace.Classes;
        long rowsPerBlock = ColumnBlockRows(samples, classes);
        int blocks = (int)((samples + rowsPerBlock - 1) / rowsPerBlock);
        double inverseTauCol = 1.0 / workspace.TauCol;
        var shift = new double[views * classes];
        TensorPrimitives.ConvertChecked<float, double>(CpuRows.All(workspace.ColumnMax), shift);

        var sumsA = new double[views * blocks][];
        Parallel.For(0, views * blocks, task =>
        {
            int v = task / blocks;
            long start = (task % blocks) * rowsPerBlock;
            long end = Math.Min(samples, start + rowsPerBlock);
            var columnShift = shift.AsSpan(v * classes, classes);
            var a = new double[classes];
            for (long n = start; n < end; n++)
            {
                long row = (v * samples) + n;
                CpuPrefetch.Row(logits, row + SelfClassifierPrefetchRows);
                SelfClassifierRowMath.AddExpOfShifted(CpuRows.Row(logits, row), columnShift, inverseTauCol, a);
            }

            sumsA[task] = a;
        });

        var logSumA = new double[views * classes];
        for (int v = 0; v < views; v++)
        {
            var a = logSumA.AsSpan(v * classes, classes);
            for (int b = 0; b < blocks; b++)
            {
                TensorPrimitives.Add<double>(a, sumsA[(v * blocks) + b], a);
            }

            TensorPrimitives.Log<double>(a, a);
        }

        CpuPairs.Write(workspace.ColumnLogSum, logSumA);
    }

    public double SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace)
    {
        var context = new SelfClassifierContext(workspace, gradientPass: false);
        int views = workspace.Views;
        long samples = workspace.Samples;
        int stride = context.Stride;
        long rowsPerBlock = ColumnBlockRows(samples, views * (long)workspace.Classes);
        int blocks = (int)((samples + rowsPerBlock - 1) / rowsPerBlock);
        var partialH = new double[blocks][];
        var partialK = new double[blocks][];
        var partialLoss = new double[blocks];
        Parallel.For(0, blocks, b =>
        {
            var row = new SelfClassifierRow(views, stride, keepR: false);
            var h = new double[views * stride];
            var k = new double[views * stride];
            var lanes = new double[views];
            double loss = 0;
            long end = Math.Min(samples, (b + 1) * rowsPerBlock);
            for (long n = b * rowsPerBlock; n < end; n++)
            {
                context.SampleViews(logits, n, row);
                SelfClassifierRowMath.LossColumns(views, context.GlobalViews, stride, row.A, row.Q, row.Ratio, row.InverseNormaliser, context.MinusWeight, lanes, h, k);
                for (int v = 0; v < views; v++)
                {
                    double viewLoss = lanes[v];
                    loss += viewLoss;

                    // H = T ⊙ (GT − [a ≥ ε]·Σ_y GT T) with Σ_y GT T = −w·viewLoss: its row term, now known.
                    if (!row.Clamped[v])
                    {
                        SelfClassifierRowMath.AddScaled(row.A.AsSpan(v * stride, stride), context.Weight * viewLoss * row.InverseNormaliser[v], h.AsSpan(v * stride, stride));
                    }
                }
            }

            partialH[b] = h;
            partialK[b] = k;
            partialLoss[b] = loss;
        });

        var sumH = new double[views * stride];
        var sumK = new double[views * stride];
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            TensorPrimitives.Add<double>(sumH, partialH[b], sumH);
            TensorPrimitives.Add<double>(sumK, partialK[b], sumK);
            total += partialLoss[b];
        }

        CpuPairs.Write(workspace.ColumnH, context.Unpad(sumH));
        CpuPairs.Write(workspace.ColumnK, context.Unpad(sumK));
        return context.MinusWeight * total;
    }

    public void SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits)
    {
        var context = new SelfClassifierContext(workspace, gradientPass: true);
        int views = workspace.Views;
        long samples = workspace.Samples;
        int stride = context.Stride;
        long rowsPerBlock = CpuRows.BlockRows(samples, views * workspace.Classes);
        long blocks = (samples + rowsPerBlock - 1) / rowsPerBlock;

        // Every sample is independent here, so any partition gives the same values. The per-sample
        // buffers (4·V·C doubles, on the large-object heap from C ≈ 1400) are made once per worker
        // thread, not once per block: per block they were gigabytes of allocations at N = 65536.
        Parallel.For(
            0L,
            blocks,
            () => new SelfClassifierRow(views, stride, keepR: true),
            (b, _, row) =>
            {
                GradientBlock(logits, dlogits, context, row, b * rowsPerBlock, Math.Min(samples, (b + 1) * rowsPerBlock));
                return row;
            },
            _ => { });
    }

    private static void GradientBlock(Tensor logits, Tensor dlogits, SelfClassifierContext context, SelfClassifierRow row, long start, long end)
    {
        int views = row.InverseNormaliser.Length;
        int stride = context.Stride;
        long samples = context.Samples;
        Span<double> lanes = stackalloc double[views];
        Span<double> sumM = stackalloc double[views];
        for (long n = start; n < end; n++)
        {
            context.SampleViews(logits, n, row);
            SelfClassifierRowMath.GradientColumns(
                views, context.GlobalViews, stride, row.A, row.Q, row.Ratio, row.R, row.InverseNormaliser, context.MinusWeight, context.PredictionScale, context.ColumnKOverScale, lanes, sumM);
            for (int v = 0; v < views; v++)
            {
                int o = v * stride;
                double rowTerm = row.Clamped[v] ? 0 : context.Weight * lanes[v];
                SelfClassifierRowMath.GradientRow(
                    row.A.AsSpan(o, stride),
                    row.Q.AsSpan(o, stride),
                    row.Ratio.AsSpan(o, stride),
                    row.R.AsSpan(o, stride),
                    context.NegatedColumnH.AsSpan(o, stride),
                    row.InverseNormaliser[v],
                    rowTerm,
                    sumM[v],
                    context.InverseTauCol,
                    context.InverseTauRow,
                    CpuRows.Row(dlogits, (v * samples) + n));
            }
        }
    }

    /// <summary>x = (s − shift)·scale in float64; the difference of two floats is exact there.</summary>
    private static void ScaledDifference(ReadOnlySpan<float> s, float shift, double scale, Span<double> x)
    {
        TensorPrimitives.ConvertChecked<float, double>(s, x);
        TensorPrimitives.Subtract<double>(x, shift, x);
        TensorPrimitives.Multiply<double>(x, scale, x);
    }

    /// <summary>Rows per block of a column reduction: depends on the shape only, so sums are reproducible.</summary>
    private static long ColumnBlockRows(long rows, long columns)
    {
        long byWork = Math.Max(1, ColumnBlockElements / Math.Max(1, columns));
        long byCount = (rows + MaxColumnBlocks - 1) / MaxColumnBlocks;
        return Math.Clamp(Math.Max(byWork, byCount), 1, Math.Max(1, rows));
    }

    /// <summary>
    /// Per-thread float64 rows of one sample, all views side by side (view v at offset v·stride, the
    /// padding zero): A, Q and the ratio (N/C)P/((N/C)P + ε), R in the gradient pass; the gradient
    /// pass overwrites Q with GT and the ratio with M.
    /// </summary>
    private sealed class SelfClassifierRow(int views, int stride, bool keepR)
    {
        public double[] A { get; } = new double[views * stride];

        public double[] Q { get; } = new double[views * stride];

        public double[] Ratio { get; } = new double[views * stride];

        public double[] R { get; } = keepR ? new double[views * stride] : [];

        /// <summary>Per view: 1 / max(a_n, ε), so that T = A·InverseNormaliser.</summary>
        public double[] InverseNormaliser { get; } = new double[views];

        /// <summary>Per view: the row sum a_n fell below ε, so T = A/ε and no gradient flows through a_n.</summary>
        public bool[] Clamped { get; } = new bool[views];
    }

    /// <summary>The statistics of passes 1–2 (and 3 for the gradient) as padded float64 per-class arrays.</summary>
    private sealed class SelfClassifierContext
    {
        private readonly SelfClassifierWorkspace workspace;
        private readonly int views;
        private readonly int classes;
        private readonly long samples;
        private readonly double[] columnMax;
        private readonly double[] negColumnLogSum;
        private readonly float[] rowMax;
        private readonly double[] rowLogSum;

        public SelfClassifierContext(SelfClassifierWorkspace workspace, bool gradientPass)
        {
            this.workspace = workspace;
            views = workspace.Views;
            classes = (int)workspace.Classes;
            samples = workspace.Samples;
            Stride = SelfClassifierRowMath.Padded(classes);
            double scale = (double)samples / classes;
            Weight = 1.0 / (samples * (double)workspace.Pairs);
            MinusWeight = -Weight;
            GlobalViews = workspace.GlobalViews;
            InverseTauRow = 1.0 / workspace.TauRow;
            InverseTauCol = 1.0 / workspace.TauCol;

            // ln A = (S − ColumnMax)/τ_c − ColumnLogSum and ln R = (S − RowMax)/τ_r − RowLogSum, the
            // kernels' form: the difference is exact or small, so neither shift is lost to rounding at |S| ≈ 3e38.
            var maxima = CpuRows.All(workspace.ColumnMax);
            var columnLogSum = CpuPairs.Read(workspace.ColumnLogSum);
            var sumR = CpuPairs.Read(workspace.ColumnSumR);
            var columnH = gradientPass ? CpuPairs.Read(workspace.ColumnH) : [];
            var columnK = gradientPass ? CpuPairs.Read(workspace.ColumnK) : [];
            columnMax = new double[views * Stride];
            negColumnLogSum = new double[views * Stride];
            PredictionScale = new double[views * Stride];
            NegatedColumnH = gradientPass ? new double[views * Stride] : [];
            ColumnKOverScale = gradientPass ? new double[views * Stride] : [];
            for (int v = 0; v < views; v++)
            {
                for (int y = 0; y < classes; y++)
                {
                    int i = (v * classes) + y;
                    int p = (v * Stride) + y;
                    columnMax[p] = maxima[i];
                    negColumnLogSum[p] = -columnLogSum[i];
                    PredictionScale[p] = scale / Math.Max(sumR[i], workspace.Epsilon);
                    if (gradientPass)
                    {
                        NegatedColumnH[p] = -columnH[i];

                        // Where max(r, ε) picks ε no gradient flows through r.
                        ColumnKOverScale[p] = sumR[i] >= workspace.Epsilon ? -columnK[i] / scale : 0;
                    }
                }
            }

            rowMax = CpuRows.All(workspace.RowMax).ToArray();
            rowLogSum = CpuPairs.Read(workspace.RowLogSum);
        }

        public long Samples => samples;

        /// <summary>Classes rounded up to whole float64 vectors: the offset of view v + 1 in a sample's buffers.</summary>
        public int Stride { get; }

        public int GlobalViews { get; }

        /// <summary>w = 1/(N·Pairs).</summary>
        public double Weight { get; }

        public double MinusWeight { get; }

        public double InverseTauRow { get; }

        public double InverseTauCol { get; }

        /// <summary>(N/C) / max(r_y, ε): (N/C)P = R·PredictionScale.</summary>
        public double[] PredictionScale { get; }

        /// <summary>−ColumnH (gradient pass only).</summary>
        public double[] NegatedColumnH { get; }

        /// <summary>−[r_y ≥ ε]·ColumnK / (N/C) (gradient pass only): P ⊙ −[r ≥ ε]ColumnK = (N/C)P ⊙ this.</summary>
        public double[] ColumnKOverScale { get; }

        /// <summary>
        /// Fills A, Q, ratio (and R) of every view of sample <paramref name="n"/> and its row normalisers.
        /// </summary>
        public void SampleViews(Tensor logits, long n, SelfClassifierRow row)
        {
            for (int v = 0; v < views; v++)
            {
                long r = (v * samples) + n;
                CpuPrefetch.Row(logits, r + SelfClassifierPrefetchRows);
                int o = v * Stride;
                double a = SelfClassifierRowMath.SampleView(
                    CpuRows.Row(logits, r),
                    InverseTauCol,
                    columnMax.AsSpan(o, Stride),
                    negColumnLogSum.AsSpan(o, Stride),
                    InverseTauRow,
                    rowMax[r],
                    rowLogSum[r],
                    PredictionScale.AsSpan(o, Stride),
                    workspace.Epsilon,
                    row.A.AsSpan(o, Stride),
                    row.Q.AsSpan(o, Stride),
                    row.Ratio.AsSpan(o, Stride),
                    row.R.Length == 0 ? [] : row.R.AsSpan(o, Stride));

                // T = A / max(a, ε); A underflows (to 0) only below e^-708, where T is 0 to float64 as well.
                bool clamped = a < workspace.Epsilon;
                row.Clamped[v] = clamped;
                row.InverseNormaliser[v] = 1.0 / (clamped ? workspace.Epsilon : a);
            }
        }

        /// <summary>The V×C values of a V×stride padded array.</summary>
        public double[] Unpad(double[] values)
        {
            var result = new double[views * classes];
            for (int v = 0; v < views; v++)
            {
                values.AsSpan(v * Stride, classes).CopyTo(result.AsSpan(v * classes, classes));
            }

            return result;
        }
    }
}
