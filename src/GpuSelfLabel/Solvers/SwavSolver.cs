namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of ops.md §6, kept in the log domain: Q_ik = B·exp(S_ik/ε − γ_k − ρ_i), where
/// each column normalisation sets γ_k = log K + LSE_i(S_ik/ε − ρ_i) and each row normalisation sets
/// ρ_i = log B + LSE_k(S_ik/ε − γ_k). This is the spec's linear-domain recursion exactly (the old γ or ρ
/// cancels in its own update), but no entry underflows to 0, so no column or row sum is ever 0 and
/// every row of the result sums to 1, however small ε or extreme the scores.
/// </summary>
internal static class SwavSolver
{
    public static Tensor Solve(Tensor scores, SwavOptions options)
    {
        var backend = scores.Backend;
        var kernels = backend.Kernels;
        long rows = scores.Rows;
        int k = checked((int)scores.Columns);
        double scale = 1 / options.Epsilon;
        double logRows = Math.Log(rows);

        using var rowShift = HostVectors.Allocate(backend, rows);
        using var columnShift = HostVectors.Allocate(backend, k);

        // Q ← exp(S/ε) / Σ_all exp(S/ε): ρ_i = LSE over the whole matrix, γ = 0.
        kernels.SinkhornRowLogSumExp(scores, 0, scale, null, 0, rowShift);
        var rowValues = new double[rows];
        HostVectors.Read(rowShift, rowValues);
        double max = rowValues.Max();
        double total = 0;
        foreach (var v in rowValues)
        {
            total += Math.Exp(v - max);
        }

        Array.Fill(rowValues, max + Math.Log(total));
        HostVectors.Write(rowShift, rowValues);

        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            kernels.SinkhornColumnLogSumExp(scores, 0, scale, rowShift, Math.Log(k), columnShift, accumulate: false);
            kernels.SinkhornRowLogSumExp(scores, 0, scale, columnShift, logRows, rowShift);
        }

        var codes = backend.Allocate(DType.Float32, rows, k);
        kernels.SinkhornExpShifted(scores, scale, options.Iterations > 0 ? columnShift : null, rowShift, logRows, codes);
        return codes;
    }
}
