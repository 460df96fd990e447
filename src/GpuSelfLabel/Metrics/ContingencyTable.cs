namespace GpuSelfLabel.Metrics;

/// <summary>
/// n_rc: how many samples fall in predicted cluster r and true class c, with the marginals. Only
/// the non-zero cells are kept (sorted by cluster, then class), so a labelling with as many
/// clusters as samples costs O(N), not O(N²).
/// </summary>
internal sealed class ContingencyTable
{
    private ContingencyTable(DenseLabels clusters, DenseLabels classes, long[] clusterSizes, long[] classSizes, int[] cellCluster, int[] cellClass, long[] cellCount)
    {
        Clusters = clusters;
        Classes = classes;
        ClusterSizes = clusterSizes;
        ClassSizes = classSizes;
        CellCluster = cellCluster;
        CellClass = cellClass;
        CellCount = cellCount;
    }

    /// <summary>The predicted labels, renumbered; rows of the table.</summary>
    public DenseLabels Clusters { get; }

    /// <summary>The true labels, renumbered; columns of the table.</summary>
    public DenseLabels Classes { get; }

    /// <summary>Row sums a_r.</summary>
    public long[] ClusterSizes { get; }

    /// <summary>Column sums b_c.</summary>
    public long[] ClassSizes { get; }

    /// <summary>Row of each non-zero cell.</summary>
    public int[] CellCluster { get; }

    /// <summary>Column of each non-zero cell.</summary>
    public int[] CellClass { get; }

    /// <summary>Count n_rc &gt; 0 of each non-zero cell.</summary>
    public long[] CellCount { get; }

    /// <summary>N, the number of samples.</summary>
    public long Samples => Clusters.Indices.Length;

    /// <summary>Tabulates two labelings of equal, non-zero length with non-negative values.</summary>
    public static ContingencyTable Build(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        var clusters = DenseLabels.From(predicted);
        var classes = DenseLabels.From(truth);
        int rows = clusters.Count;
        int columns = classes.Count;
        var p = clusters.Indices;
        var t = classes.Indices;

        var clusterSizes = new long[rows];
        var classSizes = new long[columns];
        for (int i = 0; i < p.Length; i++)
        {
            clusterSizes[p[i]]++;
            classSizes[t[i]]++;
        }

        var (cellCluster, cellClass, cellCount) = (long)rows * columns <= Math.Max(4L * p.Length, 1 << 16)
            ? CountDense(p, t, rows, columns)
            : CountSorted(p, t, columns);
        return new ContingencyTable(clusters, classes, clusterSizes, classSizes, cellCluster, cellClass, cellCount);
    }

    /// <summary>
    /// The full R×C table, row-major, for the assignment problem. Counts fit in int because N does.
    /// </summary>
    public int[] ToDense()
    {
        long size = (long)Clusters.Count * Classes.Count;
        if (size > Array.MaxLength)
        {
            throw new GslArgumentException(
                "predicted",
                $"has {Clusters.Count} clusters against {Classes.Count} classes in 'truth'; the cluster-to-class matching needs a table of at most {Array.MaxLength} cells");
        }

        var dense = new int[size];
        for (int cell = 0; cell < CellCount.Length; cell++)
        {
            dense[((long)CellCluster[cell] * Classes.Count) + CellClass[cell]] = (int)CellCount[cell];
        }

        return dense;
    }

    private static (int[] Cluster, int[] Class, long[] Count) CountDense(int[] p, int[] t, int rows, int columns)
    {
        var counts = new long[rows * columns];
        for (int i = 0; i < p.Length; i++)
        {
            counts[(p[i] * columns) + t[i]]++;
        }

        int nonZero = 0;
        foreach (var count in counts)
        {
            if (count != 0)
            {
                nonZero++;
            }
        }

        var cellCluster = new int[nonZero];
        var cellClass = new int[nonZero];
        var cellCount = new long[nonZero];
        int next = 0;
        for (int index = 0; index < counts.Length; index++)
        {
            if (counts[index] != 0)
            {
                cellCluster[next] = index / columns;
                cellClass[next] = index % columns;
                cellCount[next++] = counts[index];
            }
        }

        return (cellCluster, cellClass, cellCount);
    }

    private static (int[] Cluster, int[] Class, long[] Count) CountSorted(int[] p, int[] t, int columns)
    {
        var keys = new long[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            keys[i] = ((long)p[i] * columns) + t[i];
        }

        Array.Sort(keys);
        int nonZero = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                nonZero++;
            }
        }

        var cellCluster = new int[nonZero];
        var cellClass = new int[nonZero];
        var cellCount = new long[nonZero];
        int next = -1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                next++;
                cellCluster[next] = (int)(keys[i] / columns);
                cellClass[next] = (int)(keys[i] % columns);
            }

            cellCount[next]++;
        }

        return (cellCluster, cellClass, cellCount);
    }
}
