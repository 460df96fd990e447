namespace GpuSelfLabel;

/// <summary>
/// What ops.md §5 returns for H heads (H = 1 for an N×K input): hard labels, the scaling vectors
/// log r and log c of the last iterate, the iteration count of each head and, on request, the soft
/// codes. Tensors live on the input's backend; dispose the result to free them.
/// </summary>
public sealed class SinkhornResult : IDisposable
{
    internal SinkhornResult(int heads, long[] labels, Tensor logR, Tensor logC, int[] iterations, bool[] converged, Tensor? codes)
    {
        Heads = heads;
        Labels = labels;
        LogR = logR;
        LogC = logC;
        Iterations = iterations;
        Converged = converged;
        Codes = codes;
    }

    /// <summary>Number of independent problems H.</summary>
    public int Heads { get; }

    /// <summary>label_i = argmax_k P_ik r_k (ties to the lowest k), H·N values, head after head.</summary>
#pragma warning disable CA1819 // A plain array is the natural shape for H·N labels copied to the host.
    public long[] Labels { get; }

    /// <summary>Iterations t each head ran (H values).</summary>
    public int[] Iterations { get; }

    /// <summary>
    /// Per head: whether the last measured error reached <see cref="SinkhornOptions.Tolerance"/>. False
    /// for a head that stopped at <see cref="SinkhornOptions.MaxIterations"/> first, and for every head
    /// when the tolerance is 0 (which asks for exactly MaxIterations and no test).
    /// </summary>
    public bool[] Converged { get; }
#pragma warning restore CA1819

    /// <summary>log r of the last iterate, H×K float32.</summary>
    public Tensor LogR { get; }

    /// <summary>log c of the last iterate, H×N float32.</summary>
    public Tensor LogC { get; }

    /// <summary>Q̂_ik = Q_ik / Σ_k Q_ik, H×N×K float32, when <see cref="SinkhornOptions.ComputeCodes"/> was set.</summary>
    public Tensor? Codes { get; }

    /// <summary>Frees the result tensors.</summary>
    public void Dispose()
    {
        LogR.Dispose();
        LogC.Dispose();
        Codes?.Dispose();
    }
}
