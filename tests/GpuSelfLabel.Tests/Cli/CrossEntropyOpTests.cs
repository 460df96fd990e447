using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl op collision-ce</c> and <c>gsl op cross-entropy</c> (cli.md table, ops.md §2–3).</summary>
public sealed class CrossEntropyOpTests
{
    [Fact]
    public void Collision_ce_writes_loss_losses_and_both_gradients()
    {
        using var gsl = new GslRunner();
        const int n = 7, k = 3;
        var z = TestData.Logits(n, k, seed: 2);
        var y = TestData.Distributions(n, k, seed: 3);
        Assert.Equal(0, gsl.Run("op", "collision-ce", "--logits", gsl.Input("z", z, n, k), "--targets", gsl.Input("y", y, n, k), "--out", gsl.OutDir, "--backend", "cpu"));
        var reference = CollisionCrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);

        var loss = gsl.Output("loss");
        Assert.Empty(loss.Shape);
        Approx.Scalar(reference.Loss, loss.Floats![0], "loss");
        var losses = gsl.Output("losses");
        Assert.Equal([(long)n], losses.Shape);
        Approx.Elementwise(reference.Losses, losses.Floats, "losses", relative: 1e-5);
        var dlogits = gsl.Output("dlogits");
        Assert.Equal([(long)n, k], dlogits.Shape);
        Approx.Elementwise(reference.DLogits, dlogits.Floats, "dlogits");
        var dtargets = gsl.Output("dtargets");
        Assert.Equal([(long)n, k], dtargets.Shape);
        Approx.Elementwise(reference.DTargets, dtargets.Floats, "dtargets");
    }

    [Fact]
    public void Cross_entropy_writes_loss_losses_and_dlogits()
    {
        using var gsl = new GslRunner();
        const int n = 7, k = 3;
        var z = TestData.Logits(n, k, seed: 4);
        var y = TestData.Distributions(n, k, seed: 5);
        Assert.Equal(0, gsl.Run("op", "cross-entropy", "--logits", gsl.Input("z", z, n, k), "--targets", gsl.Input("y", y, n, k), "--out", gsl.OutDir, "--backend", "cpu"));
        var reference = CrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);

        var loss = gsl.Output("loss");
        Assert.Empty(loss.Shape);
        Approx.Scalar(reference.Loss, loss.Floats![0], "loss");
        var losses = gsl.Output("losses");
        Assert.Equal([(long)n], losses.Shape);
        Approx.Elementwise(reference.Losses, losses.Floats, "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, gsl.Output("dlogits").Floats, "dlogits");
        Assert.Equal(["dlogits.npy", "loss.npy", "losses.npy"], Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("collision-ce")]
    [InlineData("cross-entropy")]
    public void Unnormalised_target_row_is_exit_2_naming_targets_and_row_with_no_output(string op)
    {
        using var gsl = new GslRunner();
        var y = TestData.Distributions(4, 3, seed: 6);
        y[(2 * 3) + 1] += 0.1f;
        Assert.Equal(2, gsl.Run("op", op, "--logits", gsl.Input("z", TestData.Logits(4, 3, seed: 7), 4, 3), "--targets", gsl.Input("y", y, 4, 3), "--out", gsl.OutDir));
        Assert.Contains("argument 'targets', row 2", gsl.Stderr, StringComparison.Ordinal);
        Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }

    [Theory]
    [InlineData("collision-ce")]
    [InlineData("cross-entropy")]
    public void Missing_or_mismatched_targets_are_exit_2_naming_targets(string op)
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(4, 3, seed: 7), 4, 3);
        Assert.Equal(2, gsl.Run("op", op, "--logits", z, "--out", gsl.OutDir));
        Assert.Contains("'targets'", gsl.Stderr, StringComparison.Ordinal);
        string wrong = gsl.Input("y", TestData.Distributions(3, 4, seed: 8), 3, 4);
        Assert.Equal(2, gsl.Run("op", op, "--logits", z, "--targets", wrong, "--out", gsl.OutDir));
        Assert.Contains("'targets'", gsl.Stderr, StringComparison.Ordinal);
    }
}
