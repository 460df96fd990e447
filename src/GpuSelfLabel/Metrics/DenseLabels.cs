namespace GpuSelfLabel.Metrics;

/// <summary>
/// Arbitrary non-negative label values renumbered 0 … count−1 in ascending order of value, so the
/// contingency table has one row or column per label that actually occurs.
/// </summary>
internal sealed class DenseLabels
{
    private DenseLabels(int[] indices, int[] values)
    {
        Indices = indices;
        Values = values;
    }

    /// <summary>The dense index of every sample's label.</summary>
    public int[] Indices { get; }

    /// <summary>The original label value of each dense index, ascending.</summary>
    public int[] Values { get; }

    /// <summary>How many distinct labels occur.</summary>
    public int Count => Values.Length;

    /// <summary>Renumbers <paramref name="labels"/>; every value must already be known to be ≥ 0.</summary>
    public static DenseLabels From(ReadOnlySpan<int> labels)
    {
        int max = 0;
        foreach (var label in labels)
        {
            max = Math.Max(max, label);
        }

        // A lookup table indexed by value is linear time; it is only worth its memory when the
        // values are not much sparser than the samples and the table stays small (64 MiB),
        // otherwise sort the distinct values.
        return max < Math.Min((4L * labels.Length) + 4096, 1 << 24) ? ByLookup(labels, max) : BySorting(labels);
    }

    private static DenseLabels ByLookup(ReadOnlySpan<int> labels, int max)
    {
        var lookup = new int[max + 1];
        foreach (var label in labels)
        {
            lookup[label] = 1;
        }

        int count = 0;
        for (int value = 0; value <= max; value++)
        {
            if (lookup[value] != 0)
            {
                count++;
            }
        }

        var values = new int[count];
        int next = 0;
        for (int value = 0; value <= max; value++)
        {
            if (lookup[value] != 0)
            {
                values[next] = value;
                lookup[value] = next++;
            }
        }

        var indices = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            indices[i] = lookup[labels[i]];
        }

        return new DenseLabels(indices, values);
    }

    private static DenseLabels BySorting(ReadOnlySpan<int> labels)
    {
        var sorted = labels.ToArray();
        Array.Sort(sorted);
        int count = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i == 0 || sorted[i] != sorted[i - 1])
            {
                sorted[count++] = sorted[i];
            }
        }

        var values = sorted.AsSpan(0, count).ToArray();
        var indices = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            indices[i] = Array.BinarySearch(values, labels[i]);
        }

        return new DenseLabels(indices, values);
    }
}
