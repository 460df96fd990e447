namespace GpuSelfLabel.Tests.References;

/// <summary>
/// ops.md §7 evaluated literally in float64 (probabilities formed as plain ratios of exponentials,
/// no log domain), plus a hand-written backward pass through the same unfused stages. The backward
/// pass is itself checked against finite differences of <see cref="Loss"/>.
/// </summary>
public static class SelfClassifierReference
{
    /// <summary>ε of ops.md §7 unless a caller passes another.</summary>
    public const double DefaultEpsilon = 1e-12;

    /// <summary>Loss of V×N×C logits <paramref name="s"/> (row-major, view-major).</summary>
    public static double Loss(double[] s, int views, int n, int c, double tauRow, double tauCol, int globalViews, double epsilon = DefaultEpsilon)
    {
        var stages = Enumerable.Range(0, views).Select(v => Forward(s, v, n, c, tauRow, tauCol, epsilon)).ToArray();
        double total = 0;
        int pairs = 0;
        foreach (var (i, j) in Pairs(views, globalViews))
        {
            pairs++;
            double l = 0;
            for (int e = 0; e < n * c; e++)
            {
                l += stages[i].T[e] * Math.Log(((double)n / c * stages[j].P[e]) + epsilon);
            }

            total += -l / n;
        }

        return total / pairs;
    }

    /// <summary>∂Loss/∂S for every view, by the chain rule through A, T, R, P, Q stage by stage.</summary>
    public static double[] Gradient(double[] s, int views, int n, int c, double tauRow, double tauCol, int globalViews, double epsilon = DefaultEpsilon)
    {
        var stages = Enumerable.Range(0, views).Select(v => Forward(s, v, n, c, tauRow, tauCol, epsilon)).ToArray();
        var pairs = Pairs(views, globalViews).ToList();
        var gradT = new double[views][];
        var gradP = new double[views][];
        for (int v = 0; v < views; v++)
        {
            gradT[v] = new double[n * c];
            gradP[v] = new double[n * c];
        }

        double weight = 1.0 / (n * pairs.Count);
        double ratio = (double)n / c;
        foreach (var (i, j) in pairs)
        {
            for (int e = 0; e < n * c; e++)
            {
                double inner = (ratio * stages[j].P[e]) + epsilon;
                gradT[i][e] += -weight * Math.Log(inner);
                gradP[j][e] += -weight * stages[i].T[e] * ratio / inner;
            }
        }

        var grad = new double[views * n * c];
        for (int v = 0; v < views; v++)
        {
            var st = stages[v];
            var gradA = new double[n * c];
            for (int row = 0; row < n; row++)
            {
                double a = st.RowSumA[row];
                double dot = 0;
                for (int y = 0; y < c; y++)
                {
                    dot += gradT[v][(row * c) + y] * st.A[(row * c) + y];
                }

                for (int y = 0; y < c; y++)
                {
                    int e = (row * c) + y;
                    gradA[e] = a >= epsilon ? (gradT[v][e] / a) - (dot / (a * a)) : gradT[v][e] / epsilon;
                }
            }

            var gradR = new double[n * c];
            for (int y = 0; y < c; y++)
            {
                double r = st.ColumnSumR[y];
                double dot = 0;
                for (int row = 0; row < n; row++)
                {
                    dot += gradP[v][(row * c) + y] * st.R[(row * c) + y];
                }

                for (int row = 0; row < n; row++)
                {
                    int e = (row * c) + y;
                    gradR[e] = r >= epsilon ? (gradP[v][e] / r) - (dot / (r * r)) : gradP[v][e] / epsilon;
                }
            }

            for (int y = 0; y < c; y++)
            {
                double dot = 0;
                for (int row = 0; row < n; row++)
                {
                    dot += gradA[(row * c) + y] * st.A[(row * c) + y];
                }

                for (int row = 0; row < n; row++)
                {
                    int e = (row * c) + y;
                    grad[(v * n * c) + e] += st.A[e] * (gradA[e] - dot) / tauCol;
                }
            }

            for (int row = 0; row < n; row++)
            {
                double dot = 0;
                for (int y = 0; y < c; y++)
                {
                    dot += gradR[(row * c) + y] * st.R[(row * c) + y];
                }

                for (int y = 0; y < c; y++)
                {
                    int e = (row * c) + y;
                    grad[(v * n * c) + e] += st.R[e] * (gradR[e] - dot) / tauRow;
                }
            }
        }

        return grad;
    }

    /// <summary>The normalisers a_n = Σ_y A_ny and r_y = Σ_n R_ny of one view, to place a test in a max(·, ε) branch.</summary>
    public static (double[] RowSumA, double[] ColumnSumR) Normalisers(double[] s, int view, int n, int c, double tauRow, double tauCol)
    {
        var st = Forward(s, view, n, c, tauRow, tauCol, DefaultEpsilon);
        return (st.RowSumA, st.ColumnSumR);
    }

    /// <summary>Ordered pairs (i, j), i ≠ j, leaving out pairs of two local views (index ≥ G).</summary>
    public static IEnumerable<(int I, int J)> Pairs(int views, int globalViews)
    {
        for (int i = 0; i < views; i++)
        {
            for (int j = 0; j < views; j++)
            {
                if (i != j && !(i >= globalViews && j >= globalViews))
                {
                    yield return (i, j);
                }
            }
        }
    }

    private static Stage Forward(double[] s, int v, int n, int c, double tauRow, double tauCol, double epsilon)
    {
        var st = new Stage(n, c);
        int o = v * n * c;
        for (int y = 0; y < c; y++)
        {
            double max = double.NegativeInfinity;
            for (int row = 0; row < n; row++)
            {
                max = Math.Max(max, s[o + (row * c) + y] / tauCol);
            }

            double sum = 0;
            for (int row = 0; row < n; row++)
            {
                sum += Math.Exp((s[o + (row * c) + y] / tauCol) - max);
            }

            for (int row = 0; row < n; row++)
            {
                st.A[(row * c) + y] = Math.Exp((s[o + (row * c) + y] / tauCol) - max) / sum;
            }
        }

        for (int row = 0; row < n; row++)
        {
            double max = double.NegativeInfinity;
            for (int y = 0; y < c; y++)
            {
                max = Math.Max(max, s[o + (row * c) + y] / tauRow);
            }

            double sum = 0;
            for (int y = 0; y < c; y++)
            {
                sum += Math.Exp((s[o + (row * c) + y] / tauRow) - max);
            }

            double rowA = 0;
            for (int y = 0; y < c; y++)
            {
                st.R[(row * c) + y] = Math.Exp((s[o + (row * c) + y] / tauRow) - max) / sum;
                rowA += st.A[(row * c) + y];
            }

            st.RowSumA[row] = rowA;
            for (int y = 0; y < c; y++)
            {
                st.T[(row * c) + y] = st.A[(row * c) + y] / Math.Max(rowA, epsilon);
            }
        }

        for (int y = 0; y < c; y++)
        {
            double r = 0;
            for (int row = 0; row < n; row++)
            {
                r += st.R[(row * c) + y];
            }

            st.ColumnSumR[y] = r;
            for (int row = 0; row < n; row++)
            {
                st.P[(row * c) + y] = st.R[(row * c) + y] / Math.Max(r, epsilon);
            }
        }

        return st;
    }

    private sealed class Stage(int n, int c)
    {
        public double[] A { get; } = new double[n * c];

        public double[] T { get; } = new double[n * c];

        public double[] R { get; } = new double[n * c];

        public double[] P { get; } = new double[n * c];

        public double[] RowSumA { get; } = new double[n];

        public double[] ColumnSumR { get; } = new double[c];
    }
}
