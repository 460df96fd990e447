using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The memory plan of a SeLa solve (<see cref="SinkhornMemoryPlan"/>), made before anything is
/// allocated: what the solver needs whatever the chunking (N- and K-vectors, outputs), then the largest
/// chunk of rows whose staging buffer fits in what is left of the budget. A plan that cannot hold even
/// one row is an error that says what was needed and what was available.
/// </summary>
internal static class SinkhornPlanner
{
    /// <summary>A resident matrix on the CPU is read in chunks of about this many elements (progress and cancellation points).</summary>
    private const long ResidentCpuChunkElements = 1L << 26;

    /// <summary>Staging chunks stay below 1 GiB, and below 2^31 elements (host spans and products index with int).</summary>
    private const long MaxStagingBytes = 1L << 30;

    public static SinkhornMemoryPlan Plan(SinkhornProblem problem, SinkhornOptions options)
    {
        var backend = problem.Backend;
        int heads = problem.Heads;
        long n = problem.Rows;
        long k = problem.Columns;
        int size = problem.StorageType.SizeInBytes();
        long matrixBytes = checked(heads * n * k * size);

        // Per head: row maxima, row log-sum-exps, row state and its last verified copy (N doubles each);
        // log r and the column sums, and their verified copies (K doubles each); the status word the
        // device's update of r raises; the reductions' per-block partials (at most 256 blocks × K, maxima
        // and sums).
        long scratchBlocks = backend.MaxReductionBlocks;
        long vectorBytes = checked((32 * n) + (32 * k) + sizeof(double) + (scratchBlocks * k * 16));
        long outputBytes = checked((heads * n * (sizeof(float) + sizeof(long))) + (heads * k * sizeof(float)));
        if (options.ComputeCodes)
        {
            outputBytes = checked(outputBytes + (heads * n * k * sizeof(float)));
        }

        bool userBudget = options.MemoryBudget is not null;
        long budget = options.MemoryBudget ?? backend.AvailableMemoryBytes;
        if (options.MemoryBudget is null && problem.Kind == SinkhornSourceKind.Resident && !backend.HostAddressable)
        {
            // A GPU's figure is its total memory, which the resident matrix already uses part of.
            budget -= matrixBytes;
        }

        // Features solved on a GPU: the bias lives there, and with cuBLAS the weights too.
        long d = problem.FeatureDimension;
        long rowBytes = k * size;
        if (problem.Kind == SinkhornSourceKind.Features && !backend.HostAddressable)
        {
            vectorBytes = checked(vectorBytes + (heads * k * sizeof(float)));
            if (FeatureRowSource.UsesDeviceProduct(backend))
            {
                vectorBytes = checked(vectorBytes + (heads * d * k * sizeof(float)));
                rowBytes += d * sizeof(float);
            }
        }

        long fixedBytes = vectorBytes + outputBytes;
        if (fixedBytes > budget)
        {
            throw NoFit(userBudget, $"the solver needs {SinkhornMemoryPlan.Bytes(fixedBytes)} for its vectors and outputs " +
                $"({SinkhornMemoryPlan.Bytes(outputBytes)} of outputs{(options.ComputeCodes ? " with codes" : string.Empty)}) " +
                $"before any chunk of the matrix, but {Budget(userBudget, budget, backend)}");
        }

        long chunkRows;
        long stagingBytes = 0;
        if (problem.Kind == SinkhornSourceKind.Resident)
        {
            long automatic = backend.HostAddressable ? Math.Max(1, ResidentCpuChunkElements / k) : n;
            chunkRows = Math.Min(n, options.ChunkRows ?? automatic);
        }
        else
        {
            long perChunkCap = Math.Min(MaxStagingBytes, backend.MaxBufferBytes) / rowBytes;
            perChunkCap = Math.Min(perChunkCap, int.MaxValue / Math.Max(k, d));
            long fitting = (budget - fixedBytes) / rowBytes;
            if (fitting < 1)
            {
                throw NoFit(userBudget, $"even one chunk of 1 row does not fit: it needs {SinkhornMemoryPlan.Bytes(rowBytes)} of staging " +
                    $"beside {SinkhornMemoryPlan.Bytes(fixedBytes)} of vectors and outputs, but {Budget(userBudget, budget, backend)}");
            }

            if (options.ChunkRows is { } asked && Math.Min(asked, n) > fitting)
            {
                throw new GslArgumentException("chunk-rows", $"a chunk of {Math.Min(asked, n):N0} rows needs {SinkhornMemoryPlan.Bytes(Math.Min(asked, n) * rowBytes)} of staging, " +
                    $"but only {SinkhornMemoryPlan.Bytes((budget - fixedBytes) / rowBytes * rowBytes)} of the budget is left ({fitting:N0} rows)");
            }

            chunkRows = Math.Max(1, Math.Min(Math.Min(n, options.ChunkRows ?? fitting), Math.Min(fitting, perChunkCap)));
            stagingBytes = chunkRows * rowBytes;
        }

        return new SinkhornMemoryPlan(
            backend.ToString(), problem.Kind, heads, n, k, problem.StorageType, problem.FeatureDimension,
            matrixBytes, chunkRows, (n + chunkRows - 1) / chunkRows, stagingBytes, vectorBytes, outputBytes, budget);
    }

    /// <summary>The row source the plan describes; the caller disposes it.</summary>
    public static ISinkhornRowSource Open(SinkhornProblem problem, SinkhornMemoryPlan plan) => problem.Kind switch
    {
        SinkhornSourceKind.Resident => new ResidentRowSource(problem.Logits!),
        SinkhornSourceKind.Streamed => new StreamedRowSource(problem.Logits!, problem.Backend, plan.ChunkRows),
        _ => new FeatureRowSource(problem.Features!, problem.Weights!, problem.Bias, problem.Backend, plan.ChunkRows),
    };

    private static string Budget(bool userBudget, long budget, Backend backend) =>
        userBudget
            ? $"the memory budget is {SinkhornMemoryPlan.Bytes(budget)}"
            : $"{backend.Name} has about {SinkhornMemoryPlan.Bytes(Math.Max(0, budget))} available";

    private static Exception NoFit(bool userBudget, string problem) =>
        userBudget
            ? new GslArgumentException("memory-budget", problem)
            : new GslDeviceException($"memory plan: {problem}");
}
