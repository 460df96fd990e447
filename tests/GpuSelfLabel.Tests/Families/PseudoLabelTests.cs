using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §4 (self-labeling objective, EM update, projected-gradient baseline), bound to each backend below.</summary>
public abstract class PseudoLabelTestsBase : BackendTestBase
{
    private static readonly double[] Lambdas = [0, 0.5, 1, 4];

    /// <summary>σ = softmax of seeded logits, rounded to float32 as a caller would hold it.</summary>
    private static float[] Probs(int n, int k, int seed, double scale = 3.0) =>
        Float64.Softmax(Float64.Widen(TestData.Logits(n, k, seed, scale)), n, k).Select(v => (float)v).ToArray();

    [SkippableTheory]
    [MemberData(nameof(TestData.SolverShapes), MemberType = typeof(TestData))]
    public void Em_matches_float64_reference(int n, int k)
    {
        var p = Probs(n, k, seed: (n * 7) + k);
        using var probs = Upload(p, n, k);
        using var result = PseudoLabels.Em(probs);
        var reference = PseudoLabelReference.Em(Float64.Widen(p), n, k, lambda: 1, tol: 1e-6, maxIters: 1000);

        Assert.Equal(reference.Iterations, result.Iterations);
        Approx.Elementwise(reference.Labels, result.Labels.ToArray(), "labels");
        Assert.Equal(reference.Iterations, result.Objective.Length);
        for (int t = 0; t < reference.Iterations; t++)
        {
            Approx.Scalar(reference.Objective[t], result.Objective[t], $"objective[{t}]");
        }
    }

    [SkippableFact]
    public void Em_over_many_row_blocks_matches_float64_reference()
    {
        // Enough rows for several reduction blocks, so the block-ordered column sums are exercised.
        const int n = 4099, k = 17;
        var p = Probs(n, k, seed: 3);
        using var probs = Upload(p, n, k);
        using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Lambda: 2, MaxIterations: 25));
        var reference = PseudoLabelReference.Em(Float64.Widen(p), n, k, lambda: 2, tol: 1e-6, maxIters: 25);
        Assert.Equal(reference.Iterations, result.Iterations);
        Approx.Elementwise(reference.Labels, result.Labels.ToArray(), "labels");
        Approx.Scalar(reference.Objective[^1], result.Objective[^1], "objective");
    }

    [SkippableFact]
    public void Em_is_deterministic()
    {
        var p = Probs(4099, 17, seed: 8);
        using var probs = Upload(p, 4099, 17);
        using var first = PseudoLabels.Em(probs, new PseudoLabelOptions(MaxIterations: 10));
        using var second = PseudoLabels.Em(probs, new PseudoLabelOptions(MaxIterations: 10));
        Assert.Equal(first.Labels.ToArray(), second.Labels.ToArray());
        Assert.Equal(first.Objective, second.Objective);
    }

    [SkippableFact]
    public void Rows_stay_on_the_simplex()
    {
        foreach (var lambda in Lambdas)
        {
            var p = Probs(33, 10, seed: 21);
            using var probs = Upload(p, 33, 10);
            var options = new PseudoLabelOptions(Lambda: lambda, MaxIterations: 200);
            using var em = PseudoLabels.Em(probs, options);
            using var pgd = PseudoLabels.ProjectedGradient(probs, options);
            AssertOnSimplex(em.Labels.ToArray(), 33, 10, $"em λ={lambda}");
            AssertOnSimplex(pgd.Labels.ToArray(), 33, 10, $"pgd λ={lambda}");
        }
    }

    [SkippableFact]
    public void Objective_never_increases()
    {
        foreach (var lambda in Lambdas)
        {
            var p = Probs(33, 10, seed: 22, scale: 1.5);
            using var probs = Upload(p, 33, 10);
            var options = new PseudoLabelOptions(Lambda: lambda, Tolerance: 1e-9, MaxIterations: 500);
            using var em = PseudoLabels.Em(probs, options);
            using var pgd = PseudoLabels.ProjectedGradient(probs, options);
            AssertNonIncreasing(em.Objective, $"em λ={lambda}");
            AssertNonIncreasing(pgd.Objective, $"pgd λ={lambda}");

            // The first EM step also improves on the start Y⁰ = σ.
            double start = PseudoLabelReference.Objective(Float64.Widen(p), Float64.Widen(p), 33, 10, lambda);
            Assert.True(em.Objective[0] <= start * (1 + 1e-12), $"λ={lambda}: F(Y¹) = {em.Objective[0]} > F(Y⁰) = {start}");
        }
    }

    [SkippableFact]
    public void Lambda_zero_converges_to_the_one_hot_at_argmax()
    {
        const int n = 33, k = 10;
        var p = Probs(n, k, seed: 23);
        using var probs = Upload(p, n, k);
        using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Lambda: 0, Tolerance: 1e-9, MaxIterations: 5000));
        Assert.True(result.Converged);
        var y = result.Labels.ToArray();
        for (int i = 0; i < n; i++)
        {
            int argmax = ArgMax(p.AsSpan(i * k, k));
            Assert.Equal(argmax, ArgMax(y.AsSpan(i * k, k)));
            Assert.True(y[(i * k) + argmax] > 0.999, $"row {i}: y = {y[(i * k) + argmax]}");
        }
    }

    [SkippableFact]
    public void Large_lambda_pulls_the_mean_label_towards_the_prior()
    {
        const int n = 64, k = 5;

        // Skewed predictions: most samples favour class 0, so the fairness term has work to do.
        var logits = TestData.Logits(n, k, seed: 24, scale: 1.0);
        for (int i = 0; i < n; i++)
        {
            logits[i * k] += 2f;
        }

        var p = Float64.Softmax(Float64.Widen(logits), n, k).Select(v => (float)v).ToArray();
        using var probs = Upload(p, n, k);
        double Divergence(double lambda, float[]? prior = null)
        {
            using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Lambda: lambda, MaxIterations: 3000, Prior: prior));
            var u = prior is null ? PseudoLabelReference.Uniform(k) : Float64.Widen(prior);
            return PseudoLabelReference.Divergence(PseudoLabelReference.MeanLabel(Float64.Widen(result.Labels.ToArray()), n, k), u);
        }

        double weak = Divergence(0.1);
        double strong = Divergence(100);
        Assert.True(strong < weak, $"KL at λ=100 ({strong}) not below KL at λ=0.1 ({weak})");
        Assert.True(strong < 1e-3, $"KL(u‖ȳ) = {strong} at λ = 100");

        float[] skewed = [0.4f, 0.3f, 0.15f, 0.1f, 0.05f];
        Assert.True(Divergence(100, skewed) < 1e-3);
    }

    [SkippableTheory]
    [InlineData(7, 3, 0.5)]
    [InlineData(16, 4, 1.0)]
    [InlineData(33, 6, 2.0)]
    [InlineData(64, 10, 1.0)]
    public void Em_fixed_point_equals_the_projected_gradient_optimum(int n, int k, double lambda)
    {
        var p = Probs(n, k, seed: (n * 3) + k, scale: 1.5);
        using var probs = Upload(p, n, k);
        var options = new PseudoLabelOptions(Lambda: lambda, Tolerance: 1e-11, MaxIterations: 20000);
        using var em = PseudoLabels.Em(probs, options);
        using var pgd = PseudoLabels.ProjectedGradient(probs, options);
        Approx.Scalar(pgd.Objective[^1], em.Objective[^1], "F at the EM fixed point", relative: 1e-6);
        Approx.Elementwise(Approx.Widen(pgd.Labels.ToArray()), em.Labels.ToArray(), "labels", relative: 0, absolute: 1e-3);
    }

    [SkippableFact]
    public void Objective_matches_the_reference()
    {
        const int n = 33, k = 10;
        var p = Probs(n, k, seed: 25);
        var y = TestData.Distributions(n, k, seed: 26);
        using var probs = Upload(p, n, k);
        using var labels = Upload(y, n, k);
        float[] prior = [0.05f, 0.05f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.2f];
        foreach (var lambda in Lambdas)
        {
            Approx.Scalar(PseudoLabelReference.Objective(Float64.Widen(p), Float64.Widen(y), n, k, lambda), PseudoLabels.Objective(probs, labels, lambda), $"F λ={lambda}");
            Approx.Scalar(PseudoLabelReference.Objective(Float64.Widen(p), Float64.Widen(y), n, k, lambda, Float64.Widen(prior)), PseudoLabels.Objective(probs, labels, lambda, prior), $"F λ={lambda}, prior");
        }

        // The solver's last reported F is F of the labels it returns.
        using var result = PseudoLabels.Em(probs);
        Approx.Scalar(result.Objective[^1], PseudoLabels.Objective(probs, result.Labels, 1), "F of the result");
    }

    [SkippableFact]
    public void Init_is_the_start()
    {
        const int n = 33, k = 10;
        var p = Probs(n, k, seed: 27);
        var start = TestData.Distributions(n, k, seed: 28);
        using var probs = Upload(p, n, k);
        using var init = Upload(start, n, k);
        using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Lambda: 0.5, MaxIterations: 3, Init: init));
        var reference = PseudoLabelReference.Em(Float64.Widen(p), n, k, lambda: 0.5, tol: 1e-6, maxIters: 3, init: Float64.Widen(start));
        Assert.Equal(3, result.Iterations);
        Assert.False(result.Converged);
        Approx.Elementwise(reference.Labels, result.Labels.ToArray(), "labels");

        // Started elsewhere, EM still reaches the same optimum as from σ (F is convex).
        var options = new PseudoLabelOptions(Lambda: 0.5, Tolerance: 1e-10, MaxIterations: 20000);
        using var fromInit = PseudoLabels.Em(probs, options with { Init = init });
        using var fromProbs = PseudoLabels.Em(probs, options);
        Approx.Scalar(fromProbs.Objective[^1], fromInit.Objective[^1], "F", relative: 1e-7);

        using var pgd = PseudoLabels.ProjectedGradient(probs, new PseudoLabelOptions(Lambda: 0.5, MaxIterations: 1, Init: init));
        Assert.Equal(1, pgd.Iterations);
        Assert.True(pgd.Objective[0] <= PseudoLabelReference.Objective(Float64.Widen(p), Float64.Widen(start), n, k, 0.5));
    }

    [SkippableFact]
    public void Zeros_in_the_predictions_give_no_NaN()
    {
        // Row 0 has zero entries; column 3 is zero in every row, so ȳ_3 = 0 forever (zeros are absorbing) and F = +∞.
        float[] p =
        [
            0.5f, 0.5f, 0f, 0f,
            0.2f, 0.3f, 0.5f, 0f,
            1f, 0f, 0f, 0f,
        ];
        using var probs = Upload(p, 3, 4);
        foreach (var lambda in Lambdas)
        {
            using var em = PseudoLabels.Em(probs, new PseudoLabelOptions(Lambda: lambda, MaxIterations: 50));
            var y = em.Labels.ToArray();
            Assert.All(y, v => Assert.True(float.IsFinite(v) && v >= 0));
            Assert.All(em.Objective, v => Assert.False(double.IsNaN(v)));
            Assert.Equal(0f, y[3]);
            Assert.Equal(0f, y[2]);
            AssertOnSimplex(y, 3, 4, $"λ={lambda}");
            var reference = PseudoLabelReference.Em(Float64.Widen(p), 3, 4, lambda, 1e-6, 50);
            Approx.Elementwise(reference.Labels, y, "labels");
            Assert.Equal(reference.Iterations, em.Iterations);
            Assert.True(lambda == 0 ? double.IsFinite(em.Objective[^1]) : double.IsPositiveInfinity(em.Objective[^1]), $"λ={lambda}: F = {em.Objective[^1]}");

            using var pgd = PseudoLabels.ProjectedGradient(probs, new PseudoLabelOptions(Lambda: lambda, MaxIterations: 50));
            Assert.All(pgd.Labels.ToArray(), v => Assert.True(float.IsFinite(v) && v >= 0));
            Assert.All(pgd.Objective, v => Assert.False(double.IsNaN(v)));
        }

        // Without the empty column every F is finite.
        float[] q = [0.5f, 0.5f, 0f, 0.2f, 0.3f, 0.5f, 1f, 0f, 0f];
        using var sparse = Upload(q, 3, 3);
        using var finite = PseudoLabels.Em(sparse, new PseudoLabelOptions(MaxIterations: 50));
        Assert.All(finite.Objective, v => Assert.True(double.IsFinite(v)));
        Approx.Elementwise(PseudoLabelReference.Em(Float64.Widen(q), 3, 3, 1, 1e-6, 50).Labels, finite.Labels.ToArray(), "labels");
    }

    [SkippableFact]
    public void Max_iterations_bounds_the_run()
    {
        var p = Probs(33, 10, seed: 29);
        using var probs = Upload(p, 33, 10);
        using var em = PseudoLabels.Em(probs, new PseudoLabelOptions(Tolerance: 1e-300, MaxIterations: 7));
        Assert.Equal(7, em.Iterations);
        Assert.Equal(7, em.Objective.Length);
        Assert.False(em.Converged);
        using var pgd = PseudoLabels.ProjectedGradient(probs, new PseudoLabelOptions(Tolerance: 1e-300, MaxIterations: 7));
        Assert.Equal(7, pgd.Iterations);
        Assert.Equal(7, pgd.Objective.Length);
    }

    [SkippableFact]
    public void Bad_input_names_argument_and_row()
    {
        const int n = 5, k = 4;
        var good = Probs(n, k, seed: 30);
        using var probs = Upload(good, n, k);

        void Expect(string argument, long? row, Action action)
        {
            var e = Assert.Throws<GslArgumentException>(action);
            Assert.Equal(argument, e.Argument);
            Assert.Equal(row, e.Row);
        }

        void BothSolvers(string argument, long? row, Tensor input, PseudoLabelOptions? options = null)
        {
            Expect(argument, row, () => PseudoLabels.Em(input, options));
            Expect(argument, row, () => PseudoLabels.ProjectedGradient(input, options));
        }

        var unnormalised = (float[])good.Clone();
        unnormalised[(2 * k) + 1] += 0.01f;
        using (var t = Upload(unnormalised, n, k))
        {
            BothSolvers("probs", 2, t);
        }

        var negative = (float[])good.Clone();
        negative[(3 * k) + 0] = -0.1f;
        negative[(3 * k) + 1] += 0.1f;
        using (var t = Upload(negative, n, k))
        {
            BothSolvers("probs", 3, t);
        }

        var nan = (float[])good.Clone();
        nan[(1 * k) + 2] = float.NaN;
        using (var t = Upload(nan, n, k))
        {
            BothSolvers("probs", 1, t);
        }

        BothSolvers("lambda", null, probs, new PseudoLabelOptions(Lambda: -1));
        BothSolvers("lambda", null, probs, new PseudoLabelOptions(Lambda: double.NaN));
        BothSolvers("tol", null, probs, new PseudoLabelOptions(Tolerance: -1e-6));
        BothSolvers("tol", null, probs, new PseudoLabelOptions(Tolerance: -1e-6));
        BothSolvers("max-iters", null, probs, new PseudoLabelOptions(MaxIterations: 0));

        var zeroStart = TestData.Distributions(n, k, seed: 31);
        zeroStart[(4 * k) + 1] += zeroStart[(4 * k) + 3];
        zeroStart[(4 * k) + 3] = 0;
        using (var init = Upload(zeroStart, n, k))
        {
            BothSolvers("init", 4, probs, new PseudoLabelOptions(Init: init));
        }

        using (var init = Upload(TestData.Distributions(n + 1, k, seed: 32), n + 1, k))
        {
            BothSolvers("init", null, probs, new PseudoLabelOptions(Init: init));
        }

        BothSolvers("prior", null, probs, new PseudoLabelOptions(Prior: [0.5f, 0.5f]));
        BothSolvers("prior", null, probs, new PseudoLabelOptions(Prior: [0.5f, 0.5f, 0f, 0f]));
        BothSolvers("prior", null, probs, new PseudoLabelOptions(Prior: [0.5f, 0.5f, 0.5f, 0.5f]));

        using (var oneClass = Upload([1f, 1f, 1f], 3, 1))
        {
            BothSolvers("probs", null, oneClass);
        }

        using (var vector = Upload([0.5f, 0.5f], 2))
        {
            BothSolvers("probs", null, vector);
        }

        using var otherShape = Upload(TestData.Distributions(n, k + 1, seed: 33), n, k + 1);
        Expect("labels", null, () => PseudoLabels.Objective(probs, otherShape, 1));
        Expect("lambda", null, () => PseudoLabels.Objective(probs, probs, -1));
    }

    private static void AssertOnSimplex(float[] y, int n, int k, string what)
    {
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                Assert.True(y[(i * k) + c] >= 0, $"{what}: y[{i},{c}] = {y[(i * k) + c]}");
                sum += y[(i * k) + c];
            }

            Assert.True(Math.Abs(sum - 1) <= 1e-6, $"{what}: row {i} sums to {sum:G9}");
        }
    }

    private static void AssertNonIncreasing(double[] objective, string what)
    {
        for (int t = 1; t < objective.Length; t++)
        {
            Assert.True(objective[t] <= objective[t - 1] + (1e-12 * Math.Abs(objective[t - 1])), $"{what}: F rose from {objective[t - 1]:G17} to {objective[t]:G17} at iteration {t + 1}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[best])
            {
                best = c;
            }
        }

        return best;
    }
}

public sealed class CpuPseudoLabelTests : PseudoLabelTestsBase
{
    protected override string BackendName => "cpu";
}
