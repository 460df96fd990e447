using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Families;

/// <summary>
/// The bad-input rules that cross-entropy (ops.md §3) and collision cross-entropy (§2) share: both take
/// N×K logits and N×K target distributions. Written once; each family's test base derives from this
/// and says how to run its operation, so every rule runs for both families on every backend.
/// </summary>
public abstract class TargetLossRulesTestsBase : BackendTestBase
{
    [SkippableFact]
    public void Non_finite_logits_name_logits_and_row()
    {
        var z = TestData.Logits(5, 4, seed: 1);
        z[(3 * 4) + 1] = float.NaN;
        var e = Rejected(z, TestData.Distributions(5, 4, seed: 2), 5, 4);
        Assert.Equal("logits", e.Argument);
        Assert.Equal(3, e.Row);
    }

    [SkippableFact]
    public void Negative_target_names_targets_and_row()
    {
        var y = TestData.Distributions(5, 4, seed: 2);
        y[(2 * 4) + 0] += y[(2 * 4) + 1] + 0.25f;
        y[(2 * 4) + 1] = -0.25f;
        var e = Rejected(TestData.Logits(5, 4, seed: 1), y, 5, 4);
        Assert.Equal("targets", e.Argument);
        Assert.Equal(2, e.Row);
    }

    [SkippableFact]
    public void Non_finite_target_names_targets_and_row()
    {
        var y = TestData.Distributions(5, 4, seed: 2);
        y[(4 * 4) + 3] = float.PositiveInfinity;
        var e = Rejected(TestData.Logits(5, 4, seed: 1), y, 5, 4);
        Assert.Equal("targets", e.Argument);
        Assert.Equal(4, e.Row);
    }

    [SkippableFact]
    public void Target_row_summing_to_1_1_names_targets_and_row()
    {
        var y = TestData.Distributions(5, 4, seed: 2);
        y[(1 * 4) + 2] += 0.1f;
        var e = Rejected(TestData.Logits(5, 4, seed: 1), y, 5, 4);
        Assert.Equal("targets", e.Argument);
        Assert.Equal(1, e.Row);
    }

    [SkippableFact]
    public void Shape_mismatch_names_targets()
    {
        using var logits = Upload(TestData.Logits(5, 4, seed: 1), 5, 4);
        using var targets = Upload(TestData.Distributions(4, 5, seed: 2), 4, 5);
        Assert.Equal("targets", Assert.Throws<GslArgumentException>(() => Run(logits, targets)).Argument);
    }

    [SkippableFact]
    public void One_class_names_logits()
    {
        using var logits = Upload([1f, 2f], 2, 1);
        using var targets = Upload([1f, 1f], 2, 1);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Run(logits, targets)).Argument);
    }

    [SkippableFact]
    public void Rank_other_than_2_names_the_argument()
    {
        using var vector = Upload([1f, 2f], 2);
        using var half = Upload([0.5f, 0.5f], 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Run(vector, half)).Argument);

        using var logits = Upload(TestData.Logits(2, 2, seed: 1), 2, 2);
        using var cube = Upload([0.5f, 0.5f, 0.5f, 0.5f], 1, 2, 2);
        Assert.Equal("targets", Assert.Throws<GslArgumentException>(() => Run(logits, cube)).Argument);
    }

    /// <summary>Runs the family's operation and disposes what it returns.</summary>
    protected abstract void Run(Tensor logits, Tensor targets);

    private GslArgumentException Rejected(float[] z, float[] y, int n, int k)
    {
        using var logits = Upload(z, n, k);
        using var targets = Upload(y, n, k);
        return Assert.Throws<GslArgumentException>(() => Run(logits, targets));
    }
}
