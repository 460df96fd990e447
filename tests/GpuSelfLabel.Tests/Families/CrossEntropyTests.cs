using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §3, written once and bound to each backend below.</summary>
public abstract class CrossEntropyTestsBase : BackendTestBase
{
    [SkippableTheory]
    [MemberData(nameof(TestData.Shapes), MemberType = typeof(TestData))]
    public void Matches_float64_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: (n * 43) + k);
        var y = TestData.Distributions(n, k, seed: (n * 47) + k, sharpness: 2.0);
        AssertMatchesReference(z, y, n, k);
    }

    [SkippableTheory]
    [InlineData(1, 2)]
    [InlineData(7, 3)]
    [InlineData(33, 10)]
    [InlineData(3, 100)]
    public void Logit_gradient_matches_finite_differences(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 23);
        var y = TestData.Distributions(n, k, seed: 24);
        using var result = Compute(z, y, n, k);
        var yWide = Float64.Widen(y);
        var reference = FiniteDifference.Gradient(x => CrossEntropyReference.Loss(x, yWide, n, k), Float64.Widen(z));
        Approx.Elementwise(reference, result.DLogits.ToArray(), "dlogits", relative: 1e-4, absolute: 1e-5);
    }

    [SkippableFact]
    public void Logit_gradient_rows_sum_to_zero()
    {
        const int n = 7, k = 1000;
        using var result = Compute(TestData.Logits(n, k, seed: 3), TestData.Distributions(n, k, seed: 4, sharpness: 3.0), n, k);
        var d = result.DLogits.ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(d.Skip(i * k).Take(k).Sum(v => (double)v)) < 1e-6, $"row {i}");
        }
    }

    [SkippableFact]
    public void Zero_targets_on_vanishing_probabilities_add_nothing()
    {
        const int n = 3, k = 4;

        // σ of the −1e30 and −80 logits is 0 in any precision; their zero targets must contribute 0, not NaN.
        float[] z = [80, -80, -1e30f, 0, -80, 80, 0, -1e30f, 5, 5, 5, 5];
        float[] y = [1, 0, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0, 0, 1];
        using var result = Compute(z, y, n, k);
        var reference = CrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        Approx.Scalar(reference.Loss, result.Loss, "loss");
        Approx.Elementwise(reference.Losses, result.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, result.DLogits.ToArray(), "dlogits");
    }

    [SkippableFact]
    public void Extreme_logits_with_targets_on_the_low_logit_stay_finite_and_correct()
    {
        const int n = 2, k = 3;
        float[] z = [80, -80, -80, -80, -80, 80];
        float[] y = [0, 1, 0, 1, 0, 0];
        AssertMatchesReference(z, y, n, k);
    }

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
        Assert.Equal("targets", Assert.Throws<GslArgumentException>(() => CrossEntropy.Compute(logits, targets)).Argument);
    }

    [SkippableFact]
    public void One_class_names_logits()
    {
        using var logits = Upload([1f, 2f], 2, 1);
        using var targets = Upload([1f, 1f], 2, 1);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => CrossEntropy.Compute(logits, targets)).Argument);
    }

    [SkippableFact]
    public void Rank_other_than_2_names_the_argument()
    {
        using var vector = Upload([1f, 2f], 2);
        using var half = Upload([0.5f, 0.5f], 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => CrossEntropy.Compute(vector, half)).Argument);

        using var logits = Upload(TestData.Logits(2, 2, seed: 1), 2, 2);
        using var cube = Upload([0.5f, 0.5f, 0.5f, 0.5f], 1, 2, 2);
        Assert.Equal("targets", Assert.Throws<GslArgumentException>(() => CrossEntropy.Compute(logits, cube)).Argument);
    }

    private void AssertMatchesReference(float[] z, float[] y, int n, int k)
    {
        using var result = Compute(z, y, n, k);
        var reference = CrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        Approx.Scalar(reference.Loss, result.Loss, "loss");
        Approx.Elementwise(reference.Losses, result.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, result.DLogits.ToArray(), "dlogits");
    }

    private CrossEntropyResult Compute(float[] z, float[] y, int n, int k)
    {
        using var logits = Upload(z, n, k);
        using var targets = Upload(y, n, k);
        return CrossEntropy.Compute(logits, targets);
    }

    private GslArgumentException Rejected(float[] z, float[] y, int n, int k) =>
        Assert.Throws<GslArgumentException>(() => Compute(z, y, n, k).Dispose());
}

public sealed class CpuCrossEntropyTests : CrossEntropyTestsBase
{
    protected override string BackendName => "cpu";
}
