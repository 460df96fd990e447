namespace GpuSelfLabel.Cli.Check;

/// <summary>How an output of a check case is held against the CPU backend's.</summary>
internal enum CheckRule
{
    /// <summary>Probabilities, gradients, pseudo-labels, log-domain vectors: |got − cpu| ≤ 2·(1e-4·|cpu| + 1e-6) elementwise.</summary>
    Elementwise,

    /// <summary>Scalar losses and objectives: relative 2·1e-5.</summary>
    Scalar,

    /// <summary>Iteration counts, 0/1 targets: identical.</summary>
    Exact,

    /// <summary>Hard labels: identical except rows whose CPU codes have a near tie (top two within 1e-5 relative).</summary>
    Labels,
}

/// <summary>
/// One named output of a case as a backend produced it, copied to the host. <see cref="Scores"/>
/// (labels only) are the N×K codes whose top two values decide whether a row is a near tie.
/// </summary>
internal sealed record CheckOutput(string Name, CheckRule Rule, double[] Values, float[]? Scores = null)
{
    public static CheckOutput Elementwise(string name, Tensor tensor) => new(name, CheckRule.Elementwise, Array.ConvertAll(tensor.ToArray(), v => (double)v));

    /// <summary>An output the case owns: read, then disposed.</summary>
    public static CheckOutput Take(string name, Tensor tensor)
    {
        using (tensor)
        {
            return Elementwise(name, tensor);
        }
    }

    public static CheckOutput TakeExact(string name, Tensor tensor)
    {
        using (tensor)
        {
            return ExactTensor(name, tensor);
        }
    }

    public static CheckOutput Scalar(string name, double value) => new(name, CheckRule.Scalar, [value]);

    public static CheckOutput Scalars(string name, double[] values) => new(name, CheckRule.Scalar, values);

    public static CheckOutput Exact(string name, params double[] values) => new(name, CheckRule.Exact, values);

    public static CheckOutput ExactTensor(string name, Tensor tensor) => new(name, CheckRule.Exact, Array.ConvertAll(tensor.ToArray(), v => (double)v));

    public static CheckOutput Labels(string name, long[] labels, float[] codes) => new(name, CheckRule.Labels, Array.ConvertAll(labels, v => (double)v), codes);
}
