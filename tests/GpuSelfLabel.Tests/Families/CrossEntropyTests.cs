using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §3, written once and bound to each backend below.</summary>
public abstract class CrossEntropyTestsBase : TargetLossRulesTestsBase
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

    /// <inheritdoc/>
    protected override void Run(Tensor logits, Tensor targets) => CrossEntropy.Compute(logits, targets).Dispose();

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

    [SkippableTheory]
    [InlineData(1, 2)]
    [InlineData(33, 10)]
    [InlineData(3, 1000)]
    public void Into_writes_the_allocating_results_bit_for_bit_into_caller_memory(int n, int k)
    {
        using var logits = Upload(TestData.Logits(n, k, seed: n + k), n, k);
        using var targets = Upload(TestData.Distributions(n, k, seed: n + k + 1), n, k);
        using var expected = CrossEntropy.Compute(logits, targets);
        using var losses = Destination.Create(Backend, [n]);
        using var dlogits = Destination.Create(Backend, [n, k]);
        double loss = CrossEntropy.ComputeInto(logits, targets, losses.Tensor, dlogits.Tensor);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(loss));
        Destination.AssertBitwise(expected.Losses.ToArray(), losses.Read(), "losses");
        Destination.AssertBitwise(expected.DLogits.ToArray(), dlogits.Read(), "dlogits");
    }

    [SkippableFact]
    public void Into_destinations_are_refused_before_anything_is_written()
    {
        const int n = 4, k = 6;
        using var logits = Upload(TestData.Logits(n, k, seed: 1), n, k);
        using var targets = Upload(TestData.Distributions(n, k, seed: 2), n, k);
        using var losses = Destination.Create(Backend, [n], capacity: n * k);
        using var dlogits = Destination.Create(Backend, [n, k]);
        DestinationRules.Enforced(Backend, "losses", [n], d => CrossEntropy.ComputeInto(logits, targets, d, dlogits.Tensor), [logits, targets], [dlogits]);
        DestinationRules.Enforced(Backend, "dlogits", [n, k], d => CrossEntropy.ComputeInto(logits, targets, losses.Tensor, d), [logits, targets], [losses], earlier: 1);
    }
}

public sealed class CpuCrossEntropyTests : CrossEntropyTestsBase
{
    protected override string BackendName => "cpu";
}
