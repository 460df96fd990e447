using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl op cce-em</c> (cli.md, ops.md §4).</summary>
public sealed class PseudoLabelOpTests
{
    private static float[] Probs(int n, int k, int seed) =>
        Float64.Softmax(Float64.Widen(TestData.Logits(n, k, seed)), n, k).Select(v => (float)v).ToArray();

    [Fact]
    public void Em_writes_labels_objective_and_iterations_matching_the_reference()
    {
        using var gsl = new GslRunner();
        var p = Probs(33, 10, seed: 40);
        Assert.Equal(0, gsl.Run("op", "cce-em", "--probs", gsl.Input("p", p, 33, 10), "--lambda", "0.5", "--out", gsl.OutDir, "--backend", "cpu"));
        var reference = PseudoLabelReference.Em(Float64.Widen(p), 33, 10, lambda: 0.5, tol: 1e-6, maxIters: 1000);

        var labels = gsl.Output("labels");
        Assert.Equal([33L, 10L], labels.Shape);
        Approx.Elementwise(reference.Labels, labels.Floats, "labels");

        var iterations = gsl.Output("iterations");
        Assert.True(iterations.IsInteger);
        Assert.Empty(iterations.Shape);
        Assert.Equal(reference.Iterations, iterations.Integers![0]);

        var objective = gsl.Output("objective");
        Assert.Equal([(long)reference.Iterations], objective.Shape);
        Approx.Scalar(reference.Objective[^1], objective.Floats![^1], "objective");
    }

    [Fact]
    public void Pgd_and_init_write_the_same_outputs()
    {
        using var gsl = new GslRunner();
        var p = Probs(7, 3, seed: 41);
        string probs = gsl.Input("p", p, 7, 3);
        string init = gsl.Input("y0", TestData.Distributions(7, 3, seed: 42), 7, 3);
        Assert.Equal(0, gsl.Run("op", "cce-em", "--probs", probs, "--init", init, "--solver", "pgd", "--tol", "1e-7", "--max-iters", "300", "--out", gsl.OutDir, "--backend", "cpu"));
        Assert.Equal([7L, 3L], gsl.Output("labels").Shape);
        long iterations = gsl.Output("iterations").Integers![0];
        Assert.InRange(iterations, 1, 300);
        Assert.Equal([iterations], gsl.Output("objective").Shape);

        Assert.Equal(0, gsl.Run("op", "cce-em", "--probs", probs, "--init", init, "--solver", "em", "--max-iters", "2", "--out", gsl.OutDir, "--overwrite"));
        Assert.Equal(2L, gsl.Output("iterations").Integers![0]);
        Assert.Equal([2L], gsl.Output("objective").Shape);
    }

    [Fact]
    public void Bad_input_is_exit_2_naming_the_argument()
    {
        using var gsl = new GslRunner();
        var p = Probs(4, 3, seed: 43);
        string good = gsl.Input("p", p, 4, 3);

        var unnormalised = (float[])p.Clone();
        unnormalised[(2 * 3) + 1] += 0.1f;
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", gsl.Input("bad", unnormalised, 4, 3), "--out", gsl.OutDir));
        Assert.Contains("argument 'probs', row 2", gsl.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", good, "--lambda", "-1", "--out", gsl.OutDir));
        Assert.Contains("'lambda'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", good, "--tol", "-1", "--out", gsl.OutDir));
        Assert.Contains("'tol'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", good, "--max-iters", "0", "--out", gsl.OutDir));
        Assert.Contains("'max-iters'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", good, "--solver", "newton", "--out", gsl.OutDir));
        Assert.Contains("'solver'", gsl.Stderr, StringComparison.Ordinal);

        float[] zeroStart = [0.5f, 0.5f, 0f, 0.2f, 0.3f, 0.5f, 0.2f, 0.3f, 0.5f, 0.2f, 0.3f, 0.5f];
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", good, "--init", gsl.Input("y0", zeroStart, 4, 3), "--out", gsl.OutDir));
        Assert.Contains("argument 'init', row 0", gsl.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, gsl.Run("op", "cce-em", "--out", gsl.OutDir));
        Assert.Contains("'probs'", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }
}
