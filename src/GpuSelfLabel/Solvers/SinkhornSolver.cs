using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of ops.md §5, run head by head. It follows the spec's iteration literally,
/// in the log domain: with L_i = LSE_k z_ik and a_i = LSE_k(λ·z_ik + log r_k),
/// <list type="bullet">
/// <item>log c'_i = −log N + λ·L_i − a_i, so c_i / c'_i = exp(a_i − a_i^previous) (a^previous = λ·L before
/// the first pass, when c = 1/N);</item>
/// <item>Σ_i P_ik c'_i = Σ_i q_ik / (N r_k) with q_i = softmax_k(λ·z_i + log r), so the next
/// log r_k = log N − log K + log r_k − log Σ_i q_ik.</item>
/// </list>
/// One fused pass per iteration thus reads the logits once and yields c', the error and the next r.
/// The very first r (from c = 1/N) and any r whose column sum Σ_i q_ik underflows come from a column
/// log-sum-exp pass instead, which has no underflow.
/// </summary>
internal static class SinkhornSolver
{
    /// <summary>Below this a column sum has lost digits to subnormals (or is 0): recompute in the log domain.</summary>
    private const double SmallestTrustedColumnSum = 1e-290;

    public static SinkhornResult Solve(Tensor logits, SinkhornOptions options)
    {
        var backend = logits.Backend;
        var kernels = backend.Kernels;
        bool batched = logits.Rank == 3;
        int heads = batched ? checked((int)logits.Shape[0]) : 1;
        long n = logits.Shape[^2];
        int k = checked((int)logits.Columns);
        double logRows = Math.Log(n);
        double logColumns = Math.Log(k);

        var logROut = backend.Allocate(DType.Float32, heads, k);
        var logCOut = backend.Allocate(DType.Float32, heads, n);
        var codes = options.ComputeCodes ? backend.Allocate(DType.Float32, heads, n, k) : null;
        using var labels = backend.Allocate(DType.Int64, heads, n);
        using var logRDevice = HostVectors.Allocate(backend, k);
        using var columnSums = HostVectors.Allocate(backend, k);
        using var rowLse = HostVectors.Allocate(backend, n);
        using var rowState = HostVectors.Allocate(backend, n);
        var logR = new double[k];
        var sums = new double[k];
        var rowValues = new double[n];
        var logRSingle = new float[k];
        var iterations = new int[heads];

        for (int h = 0; h < heads; h++)
        {
            var z = batched ? TensorViews.Slice(logits, h) : logits;

            // P's normaliser is λ·LSE_k z_ik (not LSE_k λ·z_ik). a^previous = λ·L_i makes the t = 0 error
            // term exp(a_i − λ·L_i) = c_i / c'_i with c = 1/N.
            kernels.SinkhornRowLogSumExp(z, 0, 1, null, 0, rowLse);
            HostVectors.Read(rowLse, rowValues);
            for (long i = 0; i < n; i++)
            {
                rowValues[i] *= options.Lambda;
            }

            HostVectors.Write(rowLse, rowValues);
            HostVectors.Write(rowState, rowValues);

            // r_k = (1/K) / Σ_i P_ik (1/N), i.e. log r_k = log N − log K − LSE_i λ(z_ik − L_i).
            kernels.SinkhornColumnLogSumExp(z, 0, options.Lambda, rowLse, logColumns - logRows, columnSums, accumulate: false);
            ReadNegated(columnSums, logR);

            double error = double.PositiveInfinity;
            int t = 0;
            while (error > options.Tolerance && t < options.MaxIterations)
            {
                HostVectors.Write(logRDevice, logR);
                bool check = t % options.CheckEvery == 0;
                double measured = kernels.SinkhornSelaPass(z, 0, options.Lambda, logRDevice, rowState, columnSums, accumulate: false, measureError: check);
                if (check)
                {
                    error = measured;
                }

                t++;
                if (error > options.Tolerance && t < options.MaxIterations)
                {
                    NextLogR(kernels, z, options.Lambda, rowState, columnSums, logR, sums, logRows, logColumns);
                }
            }

            // logRDevice still holds the r of the last pass, the one the final c was computed from.
            kernels.SinkhornSelaFinalize(
                z, 0, options.Lambda, logRDevice, rowLse, rowState, logRows,
                TensorViews.Slice(logCOut, h), TensorViews.Slice(labels, h), codes is null ? null : TensorViews.Slice(codes, h));
            for (int j = 0; j < k; j++)
            {
                logRSingle[j] = (float)logR[j];
            }

            backend.CopyFromHost(logRSingle, TensorViews.Slice(logROut, h));
            iterations[h] = t;
        }

        var labelValues = new long[heads * n];
        backend.Download(labels.Buffer, labels.ByteOffset, MemoryMarshal.AsBytes(labelValues.AsSpan()));
        return new SinkhornResult(heads, labelValues, logROut, logCOut, iterations, codes);
    }

    private static void NextLogR(IBackendKernels kernels, Tensor z, double lambda, Tensor rowState, Tensor columnSums, double[] logR, double[] sums, double logRows, double logColumns)
    {
        HostVectors.Read(columnSums, sums);
        bool trusted = true;
        foreach (var s in sums)
        {
            trusted &= s >= SmallestTrustedColumnSum && double.IsFinite(s);
        }

        if (trusted)
        {
            for (int j = 0; j < logR.Length; j++)
            {
                logR[j] += logRows - logColumns - Math.Log(sums[j]);
            }

            return;
        }

        // log r_k = log N − log K − LSE_i(λ·z_ik − a_i): the same update with no exponential to underflow.
        kernels.SinkhornColumnLogSumExp(z, 0, lambda, rowState, logColumns - logRows, columnSums, accumulate: false);
        ReadNegated(columnSums, logR);
    }

    private static void ReadNegated(Tensor source, double[] destination)
    {
        HostVectors.Read(source, destination);
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = -destination[j];
        }
    }
}
