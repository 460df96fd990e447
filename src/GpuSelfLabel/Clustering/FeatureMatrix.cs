namespace GpuSelfLabel.Clustering;

/// <summary>
/// N samples of D features each, row-major in host memory: what <see cref="SelfLabelClustering"/>
/// and <see cref="KMeans"/> cluster. Creating one checks the shape and that every value is finite.
/// </summary>
public sealed class FeatureMatrix
{
    private FeatureMatrix(float[] values, int rows, int columns)
    {
        Values = values;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>The features, row i at [i·D, (i+1)·D).</summary>
    public float[] Values { get; }

    /// <summary>N, the number of samples.</summary>
    public int Rows { get; }

    /// <summary>D, the number of features per sample.</summary>
    public int Columns { get; }

    /// <summary>Wraps <paramref name="values"/> (not copied) as an N×D matrix after checking it.</summary>
    /// <exception cref="GslArgumentException">"features": a dimension below 1, a length that disagrees, or a non-finite value (with its row).</exception>
    public static FeatureMatrix Create(float[] values, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 1 || columns < 1)
        {
            throw new GslArgumentException("features", $"has shape ({rows}, {columns}); N and D must both be ≥ 1");
        }

        if ((long)rows * columns != values.LongLength)
        {
            throw new GslArgumentException("features", $"has {values.LongLength} values but shape ({rows}, {columns}) needs {(long)rows * columns}");
        }

        for (int i = 0; i < rows; i++)
        {
            var row = values.AsSpan(i * columns, columns);
            for (int j = 0; j < columns; j++)
            {
                if (!float.IsFinite(row[j]))
                {
                    throw new GslArgumentException("features", $"value {row[j]} in column {j}; every feature must be finite", i);
                }
            }
        }

        return new FeatureMatrix(values, rows, columns);
    }

    /// <summary>
    /// Refuses rows too long for the float32 squared distances that k-means and the clustering head's
    /// logits are made of: a row's squared length past a quarter of float32's range (|x| ≈ 9e18) makes
    /// ‖x − c‖² overflow, and k-means then reported a NaN inertia and the head NaN logits.
    /// <paramref name="remedy"/> says what would bring them into range.
    /// </summary>
    internal void CheckDistancesFit(string remedy)
    {
        for (int i = 0; i < Rows; i++)
        {
            double squared = 0;
            foreach (float v in Row(i))
            {
                squared += (double)v * v;
            }

            if (squared > float.MaxValue / 4)
            {
                throw new GslArgumentException("features", $"its squared length {squared:G3} passes float32's range, which the squared distances between rows need; {remedy}", i);
            }
        }
    }

    /// <summary>Row <paramref name="row"/> as a span.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);

    /// <summary>
    /// A copy with every column shifted to mean 0 and scaled to standard deviation 1 (computed in
    /// float64); a constant column is only shifted, so it stays all zeros rather than dividing by 0.
    /// </summary>
    public FeatureMatrix Standardize()
    {
        var mean = new double[Columns];
        var square = new double[Columns];
        for (int i = 0; i < Rows; i++)
        {
            var row = Row(i);
            for (int j = 0; j < Columns; j++)
            {
                mean[j] += row[j];
                square[j] += (double)row[j] * row[j];
            }
        }

        var shift = new float[Columns];
        var scale = new float[Columns];
        for (int j = 0; j < Columns; j++)
        {
            double m = mean[j] / Rows;
            double variance = Math.Max(0, (square[j] / Rows) - (m * m));
            shift[j] = (float)m;
            scale[j] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 1f;
        }

        var result = new float[Values.Length];
        for (int i = 0; i < Rows; i++)
        {
            var source = Row(i);
            var target = result.AsSpan(i * Columns, Columns);
            System.Numerics.Tensors.TensorPrimitives.Subtract(source, shift, target);
            System.Numerics.Tensors.TensorPrimitives.Multiply(target, scale, target);
        }

        return new FeatureMatrix(result, Rows, Columns);
    }

    /// <summary>A copy with every row scaled to unit Euclidean norm (an all-zero row stays zero).</summary>
    public FeatureMatrix NormalizeRows()
    {
        var result = new float[Values.Length];
        for (int i = 0; i < Rows; i++)
        {
            var source = Row(i);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(source);
            System.Numerics.Tensors.TensorPrimitives.Multiply(source, norm > 0 ? 1 / norm : 0f, result.AsSpan(i * Columns, Columns));
        }

        return new FeatureMatrix(result, Rows, Columns);
    }
}
