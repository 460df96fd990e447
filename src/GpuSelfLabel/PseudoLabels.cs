using GpuSelfLabel.Backends;
using GpuSelfLabel.Solvers;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §4: pseudo-labels Y minimising the self-labeling objective
/// F(Y) = (1/N) Σ_i −ln(σ_i·y_i) + λ·KL(u ‖ ȳ) for fixed predictions σ, by EM (the collision
/// seed's majorise–minimise update) or by projected gradient descent (the baseline).
/// </summary>
public static class PseudoLabels
{
    /// <summary>
    /// EM on the simplex: y'_ik = (σ_ik y_ik / d_i + λ N u_k y_ik / s_k) / (1 + λ N t_i), all rows at
    /// once, from Y⁰ = σ (or <see cref="PseudoLabelOptions.Init"/>) until max |y' − y| &lt; tol.
    /// </summary>
    public static PseudoLabelResult Em(Tensor probs, PseudoLabelOptions? options = null)
    {
        options ??= new PseudoLabelOptions();
        var prior = Validate(probs, options);
        return EmSolver.Run(probs, options.Init ?? probs, prior, options);
    }

    /// <summary>
    /// Projected gradient descent on the same F (Euclidean projection of each row onto the simplex,
    /// Armijo backtracking), with the same start, stopping rule and report as <see cref="Em"/>.
    /// Runs in float64 on host copies: it is a baseline for comparison.
    /// </summary>
    public static PseudoLabelResult ProjectedGradient(Tensor probs, PseudoLabelOptions? options = null)
    {
        options ??= new PseudoLabelOptions();
        var prior = Validate(probs, options);
        return ProjectedGradientSolver.Run(probs, options.Init ?? probs, prior, options);
    }

    /// <summary>F(Y) = (1/N) Σ_i −ln(σ_i·y_i) + λ·KL(u ‖ ȳ) in float64 (+∞ where a dot product or a ȳ_k is 0).</summary>
    public static double Objective(Tensor probs, Tensor labels, double lambda, float[]? prior = null)
    {
        Guard.Matrix(probs, nameof(probs));
        Guard.Matrix(labels, nameof(labels));
        Guard.SameShape(probs, nameof(probs), labels, nameof(labels));
        Guard.InRange(lambda, 0, PseudoLabelOptions.MaxLambda, nameof(lambda));
        var u = Prior(prior, probs.Columns);

        // One workspace serves both row checks and the moments pass.
        var backend = probs.Backend;
        using var scratch = backend.Allocate(DType.Float64, Math.Max(backend.EmScratchElements(probs.Columns), backend.ScanScratchElements(probs.Rows)));
        Guard.Distributions(probs, nameof(probs), scratch);
        Guard.Distributions(labels, nameof(labels), scratch);
        using var columnSums = HostVectors.Allocate(backend, probs.Columns);
        double negativeLog = probs.Backend.Kernels.PseudoLabelMoments(probs, labels, columnSums, scratch);
        var sums = new double[probs.Columns];
        HostVectors.Read(columnSums, sums);
        return SelfLabelObjective.Value(negativeLog, probs.Rows, sums, u, lambda);
    }

    private static double[] Validate(Tensor probs, PseudoLabelOptions options)
    {
        Guard.Matrix(probs, nameof(probs));
        Guard.InRange(options.Lambda, 0, PseudoLabelOptions.MaxLambda, "lambda");
        Guard.NonNegative(options.Tolerance, "tol");
        Guard.AtLeast(options.MaxIterations, 1, "max-iters");
        var prior = Prior(options.Prior, probs.Columns);
        if (options.Init is { } init)
        {
            Guard.Matrix(init, "init");
            Guard.SameShape(probs, nameof(probs), init, "init");
        }

        using var scan = probs.Backend.AllocateScanScratch(probs.Rows);
        Guard.Distributions(probs, nameof(probs), scan);
        if (options.Init is { } start)
        {
            Guard.PositiveDistributions(start, "init", scan);
        }

        return prior;
    }

    /// <summary>The prior u in float64: uniform 1/K when not given, else K positive finite values summing to 1 within 1e-3.</summary>
    private static double[] Prior(float[]? prior, long classes)
    {
        if (prior is null)
        {
            var uniform = new double[classes];
            Array.Fill(uniform, 1.0 / classes);
            return uniform;
        }

        if (prior.Length != classes)
        {
            throw new GslArgumentException("prior", $"has {prior.Length} entries but there are K = {classes} classes");
        }

        double sum = 0;
        for (int k = 0; k < prior.Length; k++)
        {
            if (!float.IsFinite(prior[k]) || prior[k] <= 0)
            {
                throw new GslArgumentException("prior", $"entry {k} is {prior[k]}; every entry must be finite and > 0");
            }

            sum += prior[k];
        }

        if (Math.Abs(sum - 1) > 1e-3)
        {
            throw new GslArgumentException("prior", $"sums to {sum:G6}; it must sum to 1 within 1e-3");
        }

        return Array.ConvertAll(prior, v => (double)v);
    }
}
