using GpuSelfLabel.Backends;
using GpuSelfLabel.Solvers;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// Sinkhorn-Knopp pseudo-labels: ops.md §5 (SeLa equipartition, batched over heads) and §6 (the SwAV
/// in-batch variant). Every method validates its arguments, then runs on the backend that holds the input.
/// </summary>
public static class Sinkhorn
{
    /// <summary>
    /// Scales beyond which λ·z or S/ε could leave the float64 range of the log-domain computations.
    /// </summary>
    private const double MaxScale = 1e30;

    /// <summary>
    /// ops.md §5: the SeLa equipartition of N samples over K clusters, P_ik = σ_ik^λ, for N×K logits
    /// or H independent heads given as H×N×K, stored as float32, float16 or bfloat16 (computation is
    /// float32 or wider either way).
    /// </summary>
    public static SinkhornResult SeLa(Tensor logits, SinkhornOptions? options = null) =>
        SeLa(SinkhornProblem.FromLogits(logits), options);

    /// <summary>
    /// ops.md §5 for a problem of any size (<see cref="SinkhornProblem"/>): every pass streams the score
    /// matrix in chunks that fit the memory budget, reads it once per iteration, and reports progress
    /// after each chunk. <paramref name="cancellation"/> stops the solve between chunks with an
    /// <see cref="OperationCanceledException"/>; nothing is returned then.
    /// </summary>
    /// <exception cref="GslArgumentException">Bad options or values, or a user budget too small for one chunk.</exception>
    /// <exception cref="GslDeviceException">The device's memory cannot hold even one chunk.</exception>
    public static SinkhornResult SeLa(SinkhornProblem problem, SinkhornOptions? options = null, IProgress<SinkhornProgress>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new SinkhornOptions();
        Guard.NotNull(problem, nameof(problem));
        CheckOptions(options);
        if (problem.Logits is { } logits)
        {
            FiniteByHead(logits, nameof(logits));
        }
        else
        {
            Guard.Finite(problem.Features!, "features");
            Guard.Finite(problem.Weights!, "weights");
            if (problem.Bias is { } bias)
            {
                Guard.Finite(bias, "bias");
            }
        }

        var plan = SinkhornPlanner.Plan(problem, options);
        return SinkhornSolver.Solve(problem, plan, options, progress, cancellation);
    }

    /// <summary>
    /// The memory plan <see cref="SeLa(SinkhornProblem, SinkhornOptions?, IProgress{SinkhornProgress}?, CancellationToken)"/>
    /// will follow: chunking and bytes, computed without allocating or reading anything.
    /// </summary>
    /// <exception cref="GslArgumentException">Bad options, or a user budget too small for one chunk.</exception>
    /// <exception cref="GslDeviceException">The device's memory cannot hold even one chunk.</exception>
    public static SinkhornMemoryPlan PlanSeLa(SinkhornProblem problem, SinkhornOptions? options = null)
    {
        options ??= new SinkhornOptions();
        Guard.NotNull(problem, nameof(problem));
        CheckOptions(options);
        return SinkhornPlanner.Plan(problem, options);
    }

    /// <summary>
    /// ops.md §6: Q = exp(S/ε) normalised to total mass 1, then n rounds of columns to 1/K and rows to
    /// 1/B, then multiplied by B, so every row of the B×K result sums to 1 (for n ≥ 1). Computed on the
    /// log scalings, so no entry underflows and extreme scores or a tiny ε never give 0/0.
    /// </summary>
    public static Tensor Swav(Tensor scores, SwavOptions? options = null)
    {
        Guard.Matrix(scores, nameof(scores));
        var output = scores.Backend.Allocate(DType.Float32, scores.Rows, scores.Columns);
        try
        {
            SwavInto(scores, output, options);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Swav"/> written into <paramref name="output"/>, a destination the caller owns (memory
    /// wrapped with <see cref="Backend.Wrap"/>, say). The solver works in it from the first pass on
    /// and makes the final codes there in place, so there is no extra copy.
    /// </summary>
    /// <param name="scores">B×K float32 scores S, K ≥ 2, every value finite.</param>
    /// <param name="output">Destination of the B×K codes: float32 on the scores' backend, sharing no memory with them.</param>
    /// <param name="options">ε and the number of iterations.</param>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule (the message names it). Finiteness is screened by the solver's first
    /// pass, so for a non-finite score the error comes after <paramref name="output"/> was written; every
    /// other rule is checked before anything is.
    /// </exception>
    public static void SwavInto(Tensor scores, Tensor output, SwavOptions? options = null)
    {
        options ??= new SwavOptions();
        Guard.Matrix(scores, nameof(scores));
        Guard.Positive(options.Epsilon, "epsilon");
        if (1 / options.Epsilon > MaxScale)
        {
            throw new GslArgumentException("epsilon", $"must be ≥ {1 / MaxScale:G3}, got {options.Epsilon:G3} (S/ε would leave the float64 range)");
        }

        Guard.AtLeast(options.Iterations, 0, "iters");
        Guard.Output(output, nameof(output), scores, scores.Shape, (scores, nameof(scores)));

        // Finiteness is checked by the solver's first pass over the scores, which reads them anyway.
        SwavSolver.Solve(scores, options, output);
    }

    private static void CheckOptions(SinkhornOptions options)
    {
        Guard.Positive(options.Lambda, "lambda");
        if (options.Lambda > MaxScale)
        {
            throw new GslArgumentException("lambda", $"must be ≤ {MaxScale:G3}, got {options.Lambda:G3} (λ·z would leave the float64 range)");
        }

        Guard.NonNegative(options.Tolerance, "tol");
        Guard.AtLeast(options.CheckEvery, 1, "check-every");
        Guard.AtLeast(options.MaxIterations, 1, "max-iters");
        if (options.ChunkRows is { } chunkRows)
        {
            Guard.AtLeast(chunkRows, 1, "chunk-rows");
        }

        if (options.MemoryBudget is { } budget)
        {
            Guard.AtLeast(budget, 1, "memory-budget");
        }
    }

    /// <summary>The row is reported as a flat row index; for H×N×K input the message also names the head.</summary>
    private static void FiniteByHead(Tensor logits, string argument)
    {
        long row = Guard.FindInvalidRow(logits, RowCheck.Finite, scratch: null, out var problem);
        if (row < 0)
        {
            return;
        }

        if (logits.Rank == 3)
        {
            long n = logits.Shape[1];
            problem = $"head {row / n}, row {row % n} of that head: {problem}";
        }

        throw new GslArgumentException(argument, problem, row);
    }
}
