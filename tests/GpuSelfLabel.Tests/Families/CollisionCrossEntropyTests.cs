using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §2, written once and bound to each backend below.</summary>
public abstract class CollisionCrossEntropyTestsBase : TargetLossRulesTestsBase
{
    [SkippableTheory]
    [MemberData(nameof(TestData.Shapes), MemberType = typeof(TestData))]
    public void Matches_float64_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: (n * 37) + k);
        var y = TestData.Distributions(n, k, seed: (n * 41) + k, sharpness: 2.0);
        AssertMatchesReference(z, y, n, k);
    }

    [SkippableTheory]
    [InlineData(1, 2)]
    [InlineData(7, 3)]
    [InlineData(33, 10)]
    [InlineData(3, 100)]
    public void Gradients_match_finite_differences(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 21);
        var y = TestData.Distributions(n, k, seed: 22);
        using var result = Compute(z, y, n, k);
        var zWide = Float64.Widen(z);
        var yWide = Float64.Widen(y);
        var byLogits = FiniteDifference.Gradient(x => CollisionCrossEntropyReference.Loss(x, yWide, n, k), zWide);
        var byTargets = FiniteDifference.Gradient(x => CollisionCrossEntropyReference.Loss(zWide, x, n, k), yWide);
        Approx.Elementwise(byLogits, result.DLogits.ToArray(), "dlogits", relative: 1e-4, absolute: 1e-5);
        Approx.Elementwise(byTargets, result.DTargets.ToArray(), "dtargets", relative: 1e-4, absolute: 1e-5);
    }

    [SkippableTheory]
    [InlineData(7, 3)]
    [InlineData(33, 10)]
    [InlineData(3, 1000)]
    public void One_hot_targets_give_Shannon_cross_entropy(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 5);
        var y = TestData.OneHot(TestData.Labels(n, k, seed: 6), k);
        using var logits = Upload(z, n, k);
        using var targets = Upload(y, n, k);
        using var collision = CollisionCrossEntropy.Compute(logits, targets);
        using var shannon = CrossEntropy.Compute(logits, targets);
        Approx.Scalar(shannon.Loss, collision.Loss, "loss");
        Approx.Elementwise(Approx.Widen(shannon.Losses.ToArray()), collision.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(Approx.Widen(shannon.DLogits.ToArray()), collision.DLogits.ToArray(), "dlogits");
    }

    [SkippableTheory]
    [InlineData(7, 3)]
    [InlineData(33, 10)]
    [InlineData(2, 3000)]
    public void Uniform_targets_give_ln_K_and_zero_logit_gradient(int n, int k)
    {
        using var result = Compute(TestData.Logits(n, k, seed: 8), Enumerable.Repeat(1f / k, n * k).ToArray(), n, k);
        Approx.Scalar(Math.Log(k), result.Loss, "loss");
        Approx.Elementwise(new double[n * k], result.DLogits.ToArray(), "dlogits");
    }

    [SkippableFact]
    public void Loss_is_symmetric_in_targets_and_predictions()
    {
        const int n = 33, k = 10;
        var z = TestData.Logits(n, k, seed: 13);
        var other = TestData.Logits(n, k, seed: 14);
        using var first = Compute(z, Probabilities(other, n, k), n, k);
        using var second = Compute(other, Probabilities(z, n, k), n, k);
        Approx.Elementwise(Approx.Widen(first.Losses.ToArray()), second.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Scalar(first.Loss, second.Loss, "loss");
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
    public void Targets_with_zeros_match_reference()
    {
        const int n = 33, k = 10;
        var z = TestData.Logits(n, k, seed: 15);
        var y = TestData.Distributions(n, k, seed: 16);
        var random = new Random(17);
        for (int i = 0; i < n; i++)
        {
            // Zero half the row, including the class the logits favour, then renormalise.
            int top = Enumerable.Range(0, k).MaxBy(j => z[(i * k) + j]);
            double kept = 0;
            for (int j = 0; j < k; j++)
            {
                int at = (i * k) + j;
                if (j == top || (random.Next(2) == 0 && j != (top + 1) % k))
                {
                    y[at] = 0;
                }

                kept += y[at];
            }

            for (int j = 0; j < k; j++)
            {
                y[(i * k) + j] = (float)(y[(i * k) + j] / kept);
            }
        }

        AssertMatchesReference(z, y, n, k);
    }

    [SkippableFact]
    public void Extreme_logits_with_targets_on_the_low_logit_stay_finite_and_correct()
    {
        const int n = 4, k = 3;
        float[] z = [80, -80, -80, -80, 80, 0, 80, -80, 0, -80, -80, 80];
        float[] y = [0, 1, 0, 1, 0, 0, 0.5f, 0, 0.5f, 0, 1, 0];
        using var result = Compute(z, y, n, k);
        var reference = CollisionCrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        Approx.Scalar(reference.Loss, result.Loss, "loss");
        Approx.Elementwise(reference.Losses, result.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, result.DLogits.ToArray(), "dlogits");

        // σ = 1 against a target on σ = e^-160 gives ∂L/∂y = −e^160/N, beyond float32: saturated.
        var dy = result.DTargets.ToArray();
        Approx.Elementwise(Saturate(reference.DTargets), dy, "dtargets");
        Assert.Equal(-float.MaxValue, dy[0]);
        Assert.Equal(-1f / n, dy[1], 6);
        Assert.True(Math.Abs(result.Losses.ToArray()[0] - 160) < 1e-3);
    }

    [SkippableFact]
    public void Targets_where_sigma_underflows_double_use_the_log_domain()
    {
        const int n = 2, k = 4;
        float[] z = [400, -400, -401, -399.5f, 0.5f, -1, 2, 0];
        float[] y = [0, 0.2f, 0.3f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f];
        using var result = Compute(z, y, n, k);
        var reference = CollisionCrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        Approx.Scalar(reference.Loss, result.Loss, "loss");
        Approx.Elementwise(reference.Losses, result.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, result.DLogits.ToArray(), "dlogits");
        Approx.Elementwise(Saturate(reference.DTargets), result.DTargets.ToArray(), "dtargets");
    }

    /// <inheritdoc/>
    protected override void Run(Tensor logits, Tensor targets) => CollisionCrossEntropy.Compute(logits, targets).Dispose();

    private static double[] Saturate(double[] values) => Array.ConvertAll(values, v => Math.Clamp(v, -float.MaxValue, float.MaxValue));

    private static float[] Probabilities(float[] z, int n, int k) => Array.ConvertAll(Float64.Softmax(Float64.Widen(z), n, k), v => (float)v);

    private void AssertMatchesReference(float[] z, float[] y, int n, int k)
    {
        using var result = Compute(z, y, n, k);
        var reference = CollisionCrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        Approx.Scalar(reference.Loss, result.Loss, "loss");
        Approx.Elementwise(reference.Losses, result.Losses.ToArray(), "losses", relative: 1e-5);
        Approx.Elementwise(reference.DLogits, result.DLogits.ToArray(), "dlogits");
        Approx.Elementwise(Saturate(reference.DTargets), result.DTargets.ToArray(), "dtargets");
    }

    private CollisionCrossEntropyResult Compute(float[] z, float[] y, int n, int k)
    {
        using var logits = Upload(z, n, k);
        using var targets = Upload(y, n, k);
        return CollisionCrossEntropy.Compute(logits, targets);
    }

    [SkippableTheory]
    [InlineData(1, 2)]
    [InlineData(33, 10)]
    [InlineData(3, 1000)]
    public void Into_writes_the_allocating_results_bit_for_bit_into_caller_memory(int n, int k)
    {
        using var logits = Upload(TestData.Logits(n, k, seed: n + k), n, k);
        using var targets = Upload(TestData.Distributions(n, k, seed: n + k + 1), n, k);
        using var expected = CollisionCrossEntropy.Compute(logits, targets);
        using var losses = Destination.Create(Backend, [n]);
        using var dlogits = Destination.Create(Backend, [n, k]);
        using var dtargets = Destination.Create(Backend, [n, k]);
        double loss = CollisionCrossEntropy.ComputeInto(logits, targets, losses.Tensor, dlogits.Tensor, dtargets.Tensor);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(loss));
        Destination.AssertBitwise(expected.Losses.ToArray(), losses.Read(), "losses");
        Destination.AssertBitwise(expected.DLogits.ToArray(), dlogits.Read(), "dlogits");
        Destination.AssertBitwise(expected.DTargets.ToArray(), dtargets.Read(), "dtargets");
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0)]
    [InlineData(33, 10, 1.0)]
    [InlineData(3, 1000, 1.0)]
    [InlineData(8, 7, 400.0)]
    public void Into_without_a_target_gradient_writes_the_same_loss_and_logit_gradient(int n, int k, double scale)
    {
        // scale 400 sends rows down the log-domain path, where ∂L/∂y is skipped too.
        using var logits = Upload(TestData.Logits(n, k, seed: n + k, scale: scale), n, k);
        using var targets = Upload(TestData.Distributions(n, k, seed: n + k + 1), n, k);
        using var expected = CollisionCrossEntropy.Compute(logits, targets);
        using var losses = Destination.Create(Backend, [n]);
        using var dlogits = Destination.Create(Backend, [n, k]);
        double loss = CollisionCrossEntropy.ComputeInto(logits, targets, losses.Tensor, dlogits.Tensor, dtargets: null);
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
        using var dtargets = Destination.Create(Backend, [n, k]);
        Tensor[] inputs = [logits, targets];
        DestinationRules.Enforced(Backend, "losses", [n], d => CollisionCrossEntropy.ComputeInto(logits, targets, d, dlogits.Tensor, dtargets.Tensor), inputs, [dlogits, dtargets]);
        DestinationRules.Enforced(Backend, "dlogits", [n, k], d => CollisionCrossEntropy.ComputeInto(logits, targets, losses.Tensor, d, dtargets.Tensor), inputs, [losses, dtargets], earlier: 1);
        DestinationRules.Enforced(Backend, "dtargets", [n, k], d => CollisionCrossEntropy.ComputeInto(logits, targets, losses.Tensor, dlogits.Tensor, d), inputs, [losses, dlogits], earlier: 2, optional: true);
    }
}

public sealed class CpuCollisionCrossEntropyTests : CollisionCrossEntropyTestsBase
{
    protected override string BackendName => "cpu";
}
