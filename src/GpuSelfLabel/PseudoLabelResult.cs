namespace GpuSelfLabel;

/// <summary>What a pseudo-label solver of ops.md §4 reports. Disposing it frees <see cref="Labels"/>.</summary>
public sealed class PseudoLabelResult : IDisposable
{
    internal PseudoLabelResult(Tensor labels, int iterations, double[] objective, bool converged)
    {
        Labels = labels;
        Iterations = iterations;
        Objective = objective;
        Converged = converged;
    }

    /// <summary>The pseudo-labels Y (N×K float32, rows on the simplex), on the backend of the input.</summary>
    public Tensor Labels { get; }

    /// <summary>Iterations run (1 ≤ Iterations ≤ MaxIterations).</summary>
    public int Iterations { get; }

    /// <summary>F(Y) after every iteration; <see cref="Iterations"/> values, never increasing.</summary>
    public double[] Objective { get; }

    /// <summary>Whether the last step changed no entry by tol or more (false: stopped at MaxIterations).</summary>
    public bool Converged { get; }

    /// <inheritdoc/>
    public void Dispose() => Labels.Dispose();
}
