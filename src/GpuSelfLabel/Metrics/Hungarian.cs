namespace GpuSelfLabel.Metrics;

/// <summary>
/// The rectangular assignment problem: pair min(R, C) rows with as many distinct columns so the
/// summed weight is largest. Shortest augmenting paths with dual potentials, O(min² · max) time
/// and exact integer arithmetic, so ties and large counts cannot be mis-rounded.
/// </summary>
internal static class Hungarian
{
    /// <summary>
    /// Maximises Σ w[r, match[r]] over one-to-one matchings of the R×C row-major
    /// <paramref name="weights"/>. Every row is matched when R ≤ C, every column when R ≥ C; the
    /// result gives each row its column, −1 for a row left over.
    /// </summary>
    public static int[] Maximize(ReadOnlySpan<int> weights, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (weights.Length != (long)rows * columns)
        {
            throw new ArgumentException($"holds {weights.Length} weights, not {rows}×{columns}", nameof(weights));
        }

        if (rows <= columns)
        {
            return Solve(weights, rows, columns);
        }

        // The solver wants the short side as rows; solve the transpose and invert the matching.
        var transposed = new int[weights.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[((long)c * rows) + r] = weights[(r * columns) + c];
            }
        }

        var columnToRow = Solve(transposed, columns, rows);
        var rowToColumn = new int[rows];
        Array.Fill(rowToColumn, -1);
        for (int c = 0; c < columns; c++)
        {
            rowToColumn[columnToRow[c]] = c;
        }

        return rowToColumn;
    }

    /// <summary>The summed weight of a matching returned by <see cref="Maximize"/>.</summary>
    public static long Total(ReadOnlySpan<int> weights, int columns, int[] rowToColumn)
    {
        long total = 0;
        for (int r = 0; r < rowToColumn.Length; r++)
        {
            if (rowToColumn[r] >= 0)
            {
                total += weights[(r * columns) + rowToColumn[r]];
            }
        }

        return total;
    }

    /// <summary>
    /// n ≤ m. Minimises the cost −w: rows enter one at a time, and each grows a Dijkstra-like tree
    /// of tight edges (reduced cost −w − u − v = 0) until it reaches a free column, then flips the
    /// path. Index 0 of the column arrays is a virtual column that holds the entering row; rows
    /// are 1-based inside so that 0 can mean "free".
    /// </summary>
    private static int[] Solve(ReadOnlySpan<int> weights, int n, int m)
    {
        var u = new long[n + 1];
        var v = new long[m + 1];
        var owner = new int[m + 1];
        var way = new int[m + 1];
        var slack = new long[m + 1];
        var visited = new bool[m + 1];

        for (int row = 1; row <= n; row++)
        {
            owner[0] = row;
            int column = 0;
            Array.Fill(slack, long.MaxValue);
            Array.Clear(visited);
            do
            {
                visited[column] = true;
                int current = owner[column];
                var costRow = weights.Slice((current - 1) * m, m);
                long potential = u[current];
                long delta = long.MaxValue;
                int next = 0;
                for (int j = 1; j <= m; j++)
                {
                    if (visited[j])
                    {
                        continue;
                    }

                    long reduced = -(long)costRow[j - 1] - potential - v[j];
                    if (reduced < slack[j])
                    {
                        slack[j] = reduced;
                        way[j] = column;
                    }

                    if (slack[j] < delta)
                    {
                        delta = slack[j];
                        next = j;
                    }
                }

                for (int j = 0; j <= m; j++)
                {
                    if (visited[j])
                    {
                        u[owner[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        slack[j] -= delta;
                    }
                }

                column = next;
            }
            while (owner[column] != 0);

            do
            {
                int previous = way[column];
                owner[column] = owner[previous];
                column = previous;
            }
            while (column != 0);
        }

        var rowToColumn = new int[n];
        Array.Fill(rowToColumn, -1);
        for (int j = 1; j <= m; j++)
        {
            if (owner[j] != 0)
            {
                rowToColumn[owner[j] - 1] = j - 1;
            }
        }

        return rowToColumn;
    }
}
