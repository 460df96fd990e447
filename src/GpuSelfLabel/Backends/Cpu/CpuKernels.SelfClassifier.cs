using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>Work per block of a column reduction, and the most blocks one may use (bounds the partials' memory).</summary>
    private const long ColumnBlockElements = 1 << 16;
    private const long MaxColumnBlocks = 32;

    public void SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        int classes = (int)workspace.Classes;
        double inverseTau = 1.0 / workspace.TauRow;
        int half = (int)(workspace.Views * workspace.Samples);
        CpuRows.ForBlocks(logits.Rows, logits.Columns, (start, end) =>
        {
            var x = new double[classes];
            for (long r = start; r < end; r++)
            {
                var s = CpuRows.Row(logits, r);
                float max = TensorPrimitives.Max<float>(s);
                ScaledDifference(s, max, inverseTau, x);
                TensorPrimitives.Exp<double>(x, x);
                CpuRows.All(workspace.RowMax)[(int)r] = max;
                CpuPairs.Set(CpuRows.All(workspace.RowLogSum), half, r, Math.Log(TensorPrimitives.Sum<double>(x)));
            }
        });
    }

    public void SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        int views = workspace.Views;
        long samples = workspace.Samples;
        int classes = (int)workspace.Classes;
        long rowsPerBlock = ColumnBlockRows(samples, classes);
        int blocks = (int)((samples + rowsPerBlock - 1) / rowsPerBlock);
        double inverseTauCol = 1.0 / workspace.TauCol;
        double inverseTauRow = 1.0 / workspace.TauRow;
        var rowLogSum = CpuPairs.Read(workspace.RowLogSum);

        // The maximum is exact and order-free, so its partials merge in any order.
        var maxima = new float[views * blocks][];
        Parallel.For(0, views * blocks, task =>
        {
            int v = task / blocks;
            long start = (task % blocks) * rowsPerBlock;
            long end = Math.Min(samples, start + rowsPerBlock);
            var m = CpuRows.Row(logits, (v * samples) + start).ToArray();
            for (long n = start + 1; n < end; n++)
            {
                TensorPrimitives.Max(m, CpuRows.Row(logits, (v * samples) + n), m);
            }

            maxima[task] = m;
        });
        var columnMax = CpuRows.All(workspace.ColumnMax);
        for (int v = 0; v < views; v++)
        {
            var m = columnMax.Slice(v * classes, classes);
            maxima[v * blocks].CopyTo(m);
            for (int b = 1; b < blocks; b++)
            {
                TensorPrimitives.Max(m, maxima[(v * blocks) + b], m);
            }
        }

        var sumsA = new double[views * blocks][];
        var sumsR = new double[views * blocks][];
        Parallel.For(0, views * blocks, task =>
        {
            int v = task / blocks;
            long start = (task % blocks) * rowsPerBlock;
            long end = Math.Min(samples, start + rowsPerBlock);
            var shift = new double[classes];
            TensorPrimitives.ConvertChecked<float, double>(CpuRows.All(workspace.ColumnMax).Slice(v * classes, classes), shift);
            var x = new double[classes];
            var a = new double[classes];
            var r = new double[classes];
            for (long n = start; n < end; n++)
            {
                long row = (v * samples) + n;
                var s = CpuRows.Row(logits, row);
                TensorPrimitives.ConvertChecked<float, double>(s, x);
                TensorPrimitives.Subtract<double>(x, shift, x);
                TensorPrimitives.Multiply<double>(x, inverseTauCol, x);
                TensorPrimitives.Exp<double>(x, x);
                TensorPrimitives.Add<double>(a, x, a);

                ScaledDifference(s, CpuRows.All(workspace.RowMax)[(int)row], inverseTauRow, x);
                TensorPrimitives.Subtract<double>(x, rowLogSum[row], x);
                TensorPrimitives.Exp<double>(x, x);
                TensorPrimitives.Add<double>(r, x, r);
            }

            sumsA[task] = a;
            sumsR[task] = r;
        });

        var logSumA = new double[views * classes];
        var sumR = new double[views * classes];
        for (int v = 0; v < views; v++)
        {
            var a = logSumA.AsSpan(v * classes, classes);
            var r = sumR.AsSpan(v * classes, classes);
            for (int b = 0; b < blocks; b++)
            {
                TensorPrimitives.Add<double>(a, sumsA[(v * blocks) + b], a);
                TensorPrimitives.Add<double>(r, sumsR[(v * blocks) + b], r);
            }

            TensorPrimitives.Log<double>(a, a);
        }

        CpuPairs.Write(workspace.ColumnLogSum, logSumA);
        CpuPairs.Write(workspace.ColumnSumR, sumR);
    }

    public double SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace)
    {
        var context = new SelfClassifierContext(logits, workspace, gradientPass: false);
        long samples = workspace.Samples;
        int width = workspace.Views * (int)workspace.Classes;
        long rowsPerBlock = ColumnBlockRows(samples, width);
        int blocks = (int)((samples + rowsPerBlock - 1) / rowsPerBlock);
        var partialH = new double[blocks][];
        var partialK = new double[blocks][];
        var partialLoss = new double[blocks];
        Parallel.For(0, blocks, b =>
        {
            var row = new SelfClassifierRow(workspace.Views, (int)workspace.Classes);
            var h = new double[width];
            var k = new double[width];
            double loss = 0;
            long end = Math.Min(samples, (b + 1) * rowsPerBlock);
            for (long n = b * rowsPerBlock; n < end; n++)
            {
                loss += context.Compute(n, row);
                TensorPrimitives.Add<double>(h, row.H, h);
                TensorPrimitives.Add<double>(k, row.K, k);
            }

            partialH[b] = h;
            partialK[b] = k;
            partialLoss[b] = loss;
        });

        var sumH = new double[width];
        var sumK = new double[width];
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            TensorPrimitives.Add<double>(sumH, partialH[b], sumH);
            TensorPrimitives.Add<double>(sumK, partialK[b], sumK);
            total += partialLoss[b];
        }

        CpuPairs.Write(workspace.ColumnH, sumH);
        CpuPairs.Write(workspace.ColumnK, sumK);
        return -context.Weight * total;
    }

    public void SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits)
    {
        var context = new SelfClassifierContext(logits, workspace, gradientPass: true);
        int views = workspace.Views;
        int classes = (int)workspace.Classes;
        long samples = workspace.Samples;
        CpuRows.ForBlocks(samples, (long)views * classes, (start, end) =>
        {
            var row = new SelfClassifierRow(views, classes);
            var a = new double[classes];
            var m = new double[classes];
            for (long n = start; n < end; n++)
            {
                context.Compute(n, row);
                for (int v = 0; v < views; v++)
                {
                    int o = v * classes;
                    var h = row.H.AsSpan(o, classes);
                    var r = row.R.AsSpan(o, classes);

                    // M = K − [r ≥ ε]·P ⊙ ColumnK, then ∂S = (H − A ⊙ ColumnH)/τ_c + (M − R·ΣM)/τ_r.
                    TensorPrimitives.MultiplyAdd<double>(row.P.AsSpan(o, classes), context.NegatedColumnK.AsSpan(o, classes), row.K.AsSpan(o, classes), m);
                    double sumM = TensorPrimitives.Sum<double>(m);
                    TensorPrimitives.MultiplyAdd<double>(r, -sumM, m, m);
                    TensorPrimitives.Multiply<double>(row.T.AsSpan(o, classes), row.Normaliser[v], a);
                    TensorPrimitives.MultiplyAdd<double>(a, context.NegatedColumnH.AsSpan(o, classes), h, a);
                    TensorPrimitives.Multiply<double>(a, context.InverseTauCol, a);
                    TensorPrimitives.MultiplyAdd<double>(m, context.InverseTauRow, a, a);
                    TensorPrimitives.ConvertChecked<double, float>(a, CpuRows.Row(dlogits, (v * samples) + n));
                }
            }
        });
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

    /// <summary>Per-thread float64 rows of one sample, all views side by side (view v at offset v·C).</summary>
    private sealed class SelfClassifierRow
    {
        public SelfClassifierRow(int views, int classes)
        {
            int width = views * classes;
            LogA = new double[classes];
            T = new double[width];
            R = new double[width];
            P = new double[width];
            Q = new double[width];
            Ratio = new double[width];
            H = new double[width];
            K = new double[width];
            TargetClamped = new bool[views];
            Normaliser = new double[views];
            QAll = new double[classes];
            QGlobal = new double[classes];
            TAll = new double[classes];
            TGlobal = new double[classes];
            Work = new double[classes];
        }

        /// <summary>ln A of the view being filled (one view at a time).</summary>
        public double[] LogA { get; }

        public double[] T { get; }

        public double[] R { get; }

        public double[] P { get; }

        public double[] Q { get; }

        /// <summary>(N/C)P / ((N/C)P + ε): ∂Q/∂P times P.</summary>
        public double[] Ratio { get; }

        public double[] H { get; }

        public double[] K { get; }

        /// <summary>Per view: the row sum a_n fell below ε, so T = A/ε and no gradient flows through a_n.</summary>
        public bool[] TargetClamped { get; }

        /// <summary>Per view: max(a_n, ε), so that A = T·Normaliser.</summary>
        public double[] Normaliser { get; }

        public double[] QAll { get; }

        public double[] QGlobal { get; }

        public double[] TAll { get; }

        public double[] TGlobal { get; }

        public double[] Work { get; }
    }

    /// <summary>The statistics of passes 1–2 (and 3 for the gradient) as float64 host arrays, plus the per-sample computation.</summary>
    private sealed class SelfClassifierContext
    {
        private readonly Tensor logits;
        private readonly SelfClassifierWorkspace workspace;
        private readonly int views;
        private readonly int classes;
        private readonly long samples;
        private readonly double scale;
        private readonly double logEpsilon = Math.Log(SelfClassifierWorkspace.Epsilon);
        private readonly double[] columnMax;
        private readonly double[] columnLogSum;
        private readonly double[] inverseColumnSumR;
        private readonly double[] rowLogSum;

        public SelfClassifierContext(Tensor logits, SelfClassifierWorkspace workspace, bool gradientPass)
        {
            this.logits = logits;
            this.workspace = workspace;
            views = workspace.Views;
            classes = (int)workspace.Classes;
            samples = workspace.Samples;
            scale = (double)samples / classes;
            Weight = 1.0 / (samples * (double)workspace.Pairs);
            InverseTauRow = 1.0 / workspace.TauRow;
            InverseTauCol = 1.0 / workspace.TauCol;
            columnMax = new double[views * classes];
            TensorPrimitives.ConvertChecked<float, double>(CpuRows.All(workspace.ColumnMax), columnMax);
            columnLogSum = CpuPairs.Read(workspace.ColumnLogSum);
            rowLogSum = CpuPairs.Read(workspace.RowLogSum);
            var sumR = CpuPairs.Read(workspace.ColumnSumR);
            inverseColumnSumR = new double[sumR.Length];
            for (int i = 0; i < sumR.Length; i++)
            {
                inverseColumnSumR[i] = 1.0 / Math.Max(sumR[i], SelfClassifierWorkspace.Epsilon);
            }

            NegatedColumnH = gradientPass ? CpuPairs.Read(workspace.ColumnH) : [];
            NegatedColumnK = gradientPass ? CpuPairs.Read(workspace.ColumnK) : [];
            TensorPrimitives.Negate<double>(NegatedColumnH, NegatedColumnH);
            for (int i = 0; i < NegatedColumnK.Length; i++)
            {
                NegatedColumnK[i] = sumR[i] >= SelfClassifierWorkspace.Epsilon ? -NegatedColumnK[i] : 0;
            }
        }

        /// <summary>w = 1/(N·Pairs).</summary>
        public double Weight { get; }

        public double InverseTauRow { get; }

        public double InverseTauCol { get; }

        /// <summary>−ColumnH (gradient pass only).</summary>
        public double[] NegatedColumnH { get; }

        /// <summary>−ColumnK where r_y ≥ ε, else 0: where max(r, ε) picks ε no gradient flows through r (gradient pass only).</summary>
        public double[] NegatedColumnK { get; }

        /// <summary>
        /// Fills <paramref name="row"/> for sample <paramref name="n"/> (T, R, P, Q, H, K and the row
        /// normalisers of every view) and returns Σ_v Σ_y T^v_ny Σ_{j∈J(v)} Q^j_ny, the sample's loss before the factor −w.
        /// </summary>
        public double Compute(long n, SelfClassifierRow row)
        {
            var work = row.Work;
            for (int v = 0; v < views; v++)
            {
                int o = v * classes;
                long r = (v * samples) + n;
                var s = CpuRows.Row(logits, r);
                var logA = row.LogA.AsSpan();
                TensorPrimitives.ConvertChecked<float, double>(s, logA);
                TensorPrimitives.Subtract<double>(logA, columnMax.AsSpan(o, classes), logA);
                TensorPrimitives.Multiply<double>(logA, InverseTauCol, logA);
                TensorPrimitives.Subtract<double>(logA, columnLogSum.AsSpan(o, classes), logA);

                // T = A / max(a, ε) in the log domain: A itself may underflow where T does not.
                double max = TensorPrimitives.Max<double>(logA);
                TensorPrimitives.Subtract<double>(logA, max, work);
                TensorPrimitives.Exp<double>(work, work);
                double logRowSum = max + Math.Log(TensorPrimitives.Sum<double>(work));
                bool clamped = logRowSum < logEpsilon;
                row.TargetClamped[v] = clamped;
                double logNormaliser = clamped ? logEpsilon : logRowSum;
                row.Normaliser[v] = Math.Exp(logNormaliser);

                // The normaliser is at least the row's largest A, so the factor is ≤ 1 and reuses the exponentials.
                TensorPrimitives.Multiply<double>(work, Math.Exp(max - logNormaliser), row.T.AsSpan(o, classes));

                var rr = row.R.AsSpan(o, classes);
                ScaledDifference(s, CpuRows.All(workspace.RowMax)[(int)r], InverseTauRow, rr);
                TensorPrimitives.Subtract<double>(rr, rowLogSum[r], rr);
                TensorPrimitives.Exp<double>(rr, rr);
                var p = row.P.AsSpan(o, classes);
                TensorPrimitives.Multiply<double>(rr, inverseColumnSumR.AsSpan(o, classes), p);
                var q = row.Q.AsSpan(o, classes);
                var ratio = row.Ratio.AsSpan(o, classes);
                TensorPrimitives.Multiply<double>(p, scale, q);
                TensorPrimitives.Add<double>(q, SelfClassifierWorkspace.Epsilon, ratio);
                TensorPrimitives.Divide<double>(q, ratio, ratio);
                TensorPrimitives.Add<double>(q, SelfClassifierWorkspace.Epsilon, q);
                TensorPrimitives.Log<double>(q, q);
            }

            int global = workspace.GlobalViews;
            SumViews(row.Q, 0, views, row.QAll);
            SumViews(row.Q, 0, global, row.QGlobal);
            SumViews(row.T, 0, views, row.TAll);
            SumViews(row.T, 0, global, row.TGlobal);

            double loss = 0;
            for (int v = 0; v < views; v++)
            {
                int o = v * classes;
                var t = row.T.AsSpan(o, classes);
                var q = row.Q.AsSpan(o, classes);
                var h = row.H.AsSpan(o, classes);
                var k = row.K.AsSpan(o, classes);

                // A global view pairs with every other view, a local one with the global views only.
                if (v < global)
                {
                    TensorPrimitives.Subtract<double>(row.QAll, q, work);
                }
                else
                {
                    row.QGlobal.CopyTo(work);
                }

                loss += TensorPrimitives.Dot<double>(t, work);
                TensorPrimitives.Multiply<double>(work, -Weight, work);
                double dot = row.TargetClamped[v] ? 0 : TensorPrimitives.Dot<double>(work, t);
                TensorPrimitives.Subtract<double>(work, dot, h);
                TensorPrimitives.Multiply<double>(h, t, h);

                if (v < global)
                {
                    TensorPrimitives.Subtract<double>(row.TAll, t, work);
                }
                else
                {
                    row.TGlobal.CopyTo(work);
                }

                TensorPrimitives.Multiply<double>(work, row.Ratio.AsSpan(o, classes), k);
                TensorPrimitives.Multiply<double>(k, -Weight, k);
            }

            return loss;
        }

        private void SumViews(double[] values, int from, int to, double[] sum)
        {
            Array.Clear(sum);
            for (int v = from; v < to; v++)
            {
                TensorPrimitives.Add<double>(sum, values.AsSpan(v * classes, classes), sum);
            }
        }
    }
}
