using GpuSelfLabel.Backends;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of ops.md §6. Where the scores allow it, it runs the spec's linear-domain
/// recursion on E_ik = exp(S_ik/ε − m_i), m_i = max_k S_ik/ε, stored once in the output (float32): each
/// iteration then costs one read of E and no exponential. Q_ik = E_ik·u_i·v_k with float64 scalings;
/// the column step sets v_k = 1/(K·Σ_i E_ik u_i), the row step u_i = 1/(B·Σ_k E_ik v_k), and the two
/// are fused so that one pass yields the new u and the next column sums; the last row step also
/// writes Q = B·E·diag(u)·diag(v) in place.
/// <para>
/// That needs every E_ik to be a normal float32 (each row of S/ε spans at most
/// <see cref="MaxLinearSpread"/>) and the per-row scales to stay in float64's range; other scores (a
/// tiny ε, extreme scores) take the log domain: Q_ik = B·exp(S_ik/ε − γ_k − ρ_i), where each column
/// normalisation sets γ_k = log K + LSE_i(S_ik/ε − ρ_i) and each row normalisation ρ_i = log B +
/// LSE_k(S_ik/ε − γ_k), so no entry underflows to 0. The last row normalisation is done in the pass
/// that writes Q, against each row's own maximum and sum, so every row sums to 1 for any finite scores
/// (up to ±3.4e38, where S/ε − ρ_i would cancel catastrophically in float64).
/// </para>
/// </summary>
internal static class SwavSolver
{
    /// <summary>e^-80 ≈ 1.8e-35 is still a normal float32, with 1e-3 of its range to spare.</summary>
    private const double MaxLinearSpread = 80;

    /// <summary>
    /// The widest range of row maxima the linear path takes: with the spread bound, every product of
    /// E, u and v stays within 1e±250, far inside float64.
    /// </summary>
    private const double MaxRowMaximumRange = 400;

    /// <summary>
    /// Writes the B×K codes into <paramref name="codes"/>, which also holds E on the linear path: the
    /// final codes are made in place, with no copy.
    /// </summary>
    public static void Solve(Tensor scores, SwavOptions options, Tensor codes)
    {
        var backend = scores.Backend;
        var kernels = backend.Kernels;
        long rows = scores.Rows;
        int k = checked((int)scores.Columns);
        double scale = 1 / options.Epsilon;
        using var rowMax = HostVectors.Allocate(backend, rows);
        using var rowSpread = HostVectors.Allocate(backend, rows);
        using var columnSums = HostVectors.Allocate(backend, k);
        bool haveColumnSums = kernels.SwavExpRows(scores, scale, rowMax, rowSpread, codes, columnSums);
        var maxima = new double[rows];
        var spreads = new double[rows];
        HostVectors.Read(rowMax, maxima);
        HostVectors.Read(rowSpread, spreads);

        // The finiteness check rides on the first pass (a bad row has a non-finite maximum or
        // spread); only then is the input scanned again, to name the first bad row.
        if (!AllFinite(maxima) || !AllFinite(spreads))
        {
            Guard.Finite(scores, "scores");
        }

        if (spreads.Max() <= MaxLinearSpread && maxima.Max() - maxima.Min() <= MaxRowMaximumRange)
        {
            Linear(kernels, codes, maxima, rowMax, columnSums, haveColumnSums, options.Iterations);
        }
        else
        {
            LogDomain(kernels, scores, scale, options.Iterations, codes);
        }
    }

    /// <summary>
    /// E is in <paramref name="codes"/>; <paramref name="rowWeights"/> is free scratch of B float64.
    /// Every column step reads its sums from <paramref name="columnSums"/>; the first pass has already
    /// put Σ_i E_ik·e^{m_i − max m} there when <paramref name="haveColumnSums"/>.
    /// </summary>
    private static void Linear(IBackendKernels kernels, Tensor codes, double[] maxima, Tensor rowWeights, Tensor columnSums, bool haveColumnSums, int iterations)
    {
        var backend = codes.Backend;
        long rows = codes.Rows;
        int k = checked((int)codes.Columns);
        using var columnWeights = HostVectors.Allocate(backend, k);
        using var scratch = backend.Allocate(DType.Float64, backend.ReductionScratchElements(k));
        var weights = new double[rows];

        // u_i ∝ e^{m_i}, so that E·diag(u) is exp(S/ε) up to one factor. Before a column step that factor
        // cancels; with no iteration at all it is the total mass, Σ_i e^{m_i}·Σ_k E_ik.
        double top = maxima.Max();
        if (iterations == 0)
        {
            var columns = new double[k];
            Array.Fill(columns, 1);
            HostVectors.Write(columnWeights, columns);
            kernels.SwavRowStep(codes, columnWeights, 1, rowWeights, null, scratch);
            HostVectors.Read(rowWeights, weights);
            double total = 0;
            for (long i = 0; i < rows; i++)
            {
                total += Math.Exp(maxima[i] - top) / weights[i];
            }

            double logTotal = top + Math.Log(total);
            for (long i = 0; i < rows; i++)
            {
                weights[i] = Math.Exp(maxima[i] - logTotal);
            }

            HostVectors.Write(rowWeights, weights);
            kernels.SwavScale(codes, rowWeights, columnWeights, rows);
            return;
        }

        if (!haveColumnSums)
        {
            for (long i = 0; i < rows; i++)
            {
                weights[i] = Math.Exp(maxima[i] - top);
            }

            HostVectors.Write(rowWeights, weights);
            kernels.SwavColumnSums(codes, rowWeights, columnSums, scratch);
        }

        // Each iteration stays on the device: no host round trip between the column and the row steps.
        for (int t = 0; t < iterations; t++)
        {
            kernels.SwavColumnWeights(columnSums, columnWeights);
            if (t + 1 < iterations)
            {
                kernels.SwavRowStep(codes, columnWeights, 1.0 / rows, rowWeights, columnSums, scratch);
            }
        }

        // Q = B·E·diag(u)·diag(v) with the last u, in the same read of E that computes it.
        kernels.SwavRowStepAndScale(codes, columnWeights, 1.0 / rows, rows);
    }

    private static bool AllFinite(double[] values) => Array.TrueForAll(values, double.IsFinite);

    private static void LogDomain(IBackendKernels kernels, Tensor scores, double scale, int iterations, Tensor codes)
    {
        var backend = scores.Backend;
        long rows = scores.Rows;
        int k = checked((int)scores.Columns);
        double logRows = Math.Log(rows);
        using var rowShift = HostVectors.Allocate(backend, rows);
        using var columnShift = HostVectors.Allocate(backend, k);
        using var scratch = backend.Allocate(DType.Float64, backend.ReductionScratchElements(k));

        // Q ← exp(S/ε) / Σ_all exp(S/ε): ρ_i = LSE over the whole matrix, γ = 0.
        kernels.SinkhornRowLogSumExp(scores, 0, scale, null, 0, rowShift, null);
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

        if (iterations == 0)
        {
            kernels.SinkhornExpShifted(scores, scale, null, rowShift, logRows, codes);
            return;
        }

        for (int iteration = 0; iteration < iterations; iteration++)
        {
            kernels.SinkhornColumnLogSumExp(scores, 0, scale, null, rowShift, Math.Log(k), columnShift, accumulate: false, scratch);
            if (iteration + 1 < iterations)
            {
                kernels.SinkhornRowLogSumExp(scores, 0, scale, columnShift, logRows, rowShift, null);
            }
        }

        // The last row step is taken in the pass that writes the codes, against each row's own maximum:
        // with scores near 1e30, ρ_i ≈ 2e31 cannot hold log B or log 2 in float64, and exp(S/ε − γ − ρ)
        // from a stored ρ gave two tied entries of 1 each (row sums of 2).
        kernels.SwavLogCodes(scores, scale, columnShift, codes);
    }
}
