using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of the EM pseudo-label solver (ops.md §4). Each iteration is one
/// <see cref="IBackendKernels.EmStep"/> pass over σ and Y; the driver turns the column sums it
/// returns into the next step's weights and into F, and applies the stopping rule.
/// </summary>
internal static class EmSolver
{
    /// <summary>Runs EM from <paramref name="start"/> (σ itself when no start was given); arguments are validated.</summary>
    public static PseudoLabelResult Run(Tensor probs, Tensor start, double[] prior, PseudoLabelOptions options)
    {
        var backend = probs.Backend;
        var kernels = backend.Kernels;
        long n = probs.Rows;
        int k = checked((int)probs.Columns);
        var iterateType = kernels.PseudoLabelIterateType;

        var current = backend.Allocate(iterateType, n, k);
        var next = backend.Allocate(iterateType, n, k);
        using var columnSumsTensor = HostVectors.Allocate(backend, k);
        using var weightsTensor = HostVectors.Allocate(backend, k);

        // One workspace for every pass of the solve (CUB's habit): a step that allocated and freed its
        // partials cost an allocation per iteration and, on CUDA, a stream drain in the free.
        using var scratch = backend.Allocate(DType.Float64, backend.EmScratchElements(k));
        try
        {
            kernels.PseudoLabelConvert(start, current);
            kernels.PseudoLabelMoments(probs, current, columnSumsTensor, scratch);
            var columnSums = new double[k];
            var weights = new double[k];
            HostVectors.Read(columnSumsTensor, columnSums);

            var objective = new List<double>();
            bool converged = false;
            while (objective.Count < options.MaxIterations)
            {
                SelfLabelObjective.Weights(columnSums, n, prior, options.Lambda, weights);
                HostVectors.Write(weightsTensor, weights);
                var report = kernels.EmStep(probs, current, weightsTensor, next, columnSumsTensor, scratch);
                HostVectors.Read(columnSumsTensor, columnSums);
                objective.Add(SelfLabelObjective.Value(report.NegativeLogCollision, n, columnSums, prior, options.Lambda));
                (current, next) = (next, current);
                if (report.MaxChange < options.Tolerance)
                {
                    converged = true;
                    break;
                }
            }

            var labels = backend.Allocate(DType.Float32, n, k);
            kernels.PseudoLabelConvert(current, labels);
            return new PseudoLabelResult(labels, objective.Count, [.. objective], converged);
        }
        finally
        {
            current.Dispose();
            next.Dispose();
        }
    }
}
