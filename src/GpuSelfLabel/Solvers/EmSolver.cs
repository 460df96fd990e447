using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of the EM pseudo-label solver (ops.md §4). Each iteration is one
/// <see cref="IBackendKernels.EmTrackedStep"/>: the pass over σ and Y, then, on the device, the next
/// weights from its column sums, F and the stopping rule. The driver reads the track of F and the
/// changes once per <see cref="ReadEvery"/> iterations, so an iteration costs no host round trip; steps
/// launched after the one that converged do nothing, and the result is the converged iterate.
/// </summary>
internal static class EmSolver
{
    /// <summary>
    /// Iterations between two reads of the track: at most this many launches follow the converged step,
    /// each a status test and nothing more.
    /// </summary>
    internal const int ReadEvery = 16;

    /// <summary>Runs EM from <paramref name="start"/> (σ itself when no start was given); arguments are validated.</summary>
    public static PseudoLabelResult Run(Tensor probs, Tensor start, double[] prior, PseudoLabelOptions options)
    {
        var backend = probs.Backend;
        var kernels = backend.Kernels;
        long n = probs.Rows;
        int k = checked((int)probs.Columns);
        var iterateType = kernels.PseudoLabelIterateType;

        // Iteration t reads iterates[t % 2] and writes iterates[(t + 1) % 2].
        Tensor[] iterates = [backend.Allocate(iterateType, n, k), backend.Allocate(iterateType, n, k)];
        using var columnSumsTensor = HostVectors.Allocate(backend, k);
        using var weightsTensor = HostVectors.Allocate(backend, k);
        using var priorTensor = HostVectors.Allocate(backend, k);
        using var trackTensor = HostVectors.Allocate(backend, 1 + (2 * ReadEvery));

        // One workspace for every pass of the solve (CUB's habit): a step that allocated and freed its
        // partials cost an allocation per iteration and, on CUDA, a stream drain in the free.
        using var scratch = backend.Allocate(DType.Float64, backend.EmScratchElements(k));
        try
        {
            kernels.PseudoLabelConvert(start, iterates[0]);
            kernels.PseudoLabelMoments(probs, iterates[0], columnSumsTensor, scratch);
            var columnSums = new double[k];
            var weights = new double[k];
            HostVectors.Read(columnSumsTensor, columnSums);
            SelfLabelObjective.Weights(columnSums, n, prior, options.Lambda, weights);
            HostVectors.Write(weightsTensor, weights);
            HostVectors.Write(priorTensor, prior);
            var track = new double[trackTensor.Length];
            HostVectors.Write(trackTensor, track);

            var objective = new List<double>();
            bool converged = false;
            int launched = 0;
            while (!converged && launched < options.MaxIterations)
            {
                int batch = Math.Min(ReadEvery, options.MaxIterations - launched);
                for (int b = 0; b < batch; b++, launched++)
                {
                    var tracking = new EmTracking(priorTensor, options.Lambda, options.Tolerance, launched, trackTensor);
                    kernels.EmTrackedStep(probs, iterates[launched % 2], weightsTensor, iterates[(launched + 1) % 2], columnSumsTensor, scratch, tracking);
                }

                HostVectors.Read(trackTensor, track);
                converged = track[0] != 0;
                int done = converged ? (int)track[0] : launched;
                for (int t = objective.Count; t < done; t++)
                {
                    objective.Add(track[1 + (2 * (t % ReadEvery))]);
                }
            }

            var labels = backend.Allocate(DType.Float32, n, k);
            kernels.PseudoLabelConvert(iterates[objective.Count % 2], labels);
            return new PseudoLabelResult(labels, objective.Count, [.. objective], converged);
        }
        finally
        {
            iterates[0].Dispose();
            iterates[1].Dispose();
        }
    }
}
