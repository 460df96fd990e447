using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §8, written once and bound to each backend below.</summary>
public abstract class AverageKTestsBase : BackendTestBase
{
    public static TheoryData<int, int, double> ThresholdCases() => new()
    {
        { 1, 2, 1.0 },
        { 2, 3, 1.5 },
        { 3, 10, 2.5 },
        { 7, 3, 0.5 },
        { 33, 10, 3.0 },
        { 257, 10, 1.7 },
        { 7, 1000, 10.0 },
        { 33, 3000, 0.2 },
    };

    [SkippableTheory]
    [MemberData(nameof(ThresholdCases))]
    public void Threshold_matches_a_full_sort(int n, int l, double k)
    {
        var scores = TestData.Logits(n, l, seed: n + l);
        var labels = TestData.Labels(n, l, seed: n);
        CheckThreshold(scores, n, l, k, labels);
    }

    [SkippableFact]
    public void Threshold_handles_ties_signed_zeros_and_extreme_values()
    {
        var random = new Random(6);
        float[] pool = [0f, -0f, 1f, -1f, 3e38f, -3e38f, float.MaxValue, float.MinValue, 1e-45f, -1e-45f, 1.17549435e-38f, 2.5f, 2.5f];
        const int n = 41, l = 7;
        var scores = Enumerable.Range(0, n * l).Select(_ => pool[random.Next(pool.Length)]).ToArray();
        var labels = TestData.Labels(n, l, seed: 2);
        foreach (var k in new[] { 0.05, 0.5, 1.0, 2.0, 3.3, 5.0, 6.9 })
        {
            CheckThreshold(scores, n, l, k, labels);
        }

        // Small integers: every threshold falls in a run of ties.
        var coarse = Enumerable.Range(0, n * l).Select(_ => (float)random.Next(-3, 4)).ToArray();
        foreach (var k in new[] { 0.5, 1.0, 2.0, 4.5 })
        {
            CheckThreshold(coarse, n, l, k, labels);
        }

        // Neighbouring floats: keys that differ only in their last bits, found within the last histogram.
        var dense = Enumerable.Range(0, n * l).Select(_ => BitConverter.Int32BitsToSingle(0x3F80_0000 + random.Next(3000))).ToArray();
        foreach (var k in new[] { 0.1, 1.0, 3.7 })
        {
            CheckThreshold(dense, n, l, k, labels);
            CheckThreshold(dense.Select(v => -v).ToArray(), n, l, k, labels);
        }

        var negative = TestData.Logits(n, l, seed: 8).Select(v => -Math.Abs(v) - 100f).ToArray();
        CheckThreshold(negative, n, l, 1.25, labels);
    }

    [SkippableFact]
    public void Threshold_without_labels_has_no_accuracy()
    {
        using var scores = Upload(TestData.Logits(10, 5, seed: 1), 10, 5);
        var result = AverageK.Threshold(scores, 2);
        Assert.Null(result.Accuracy);
        Assert.Equal(2.0, result.MeanSetSize);
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0)]
    [InlineData(1, 2, 2.0)]
    [InlineData(3, 10, 2.5)]
    [InlineData(7, 3, 1.5)]
    [InlineData(33, 10, 3.0)]
    [InlineData(257, 10, 1.3)]
    [InlineData(33, 1000, 20.0)]
    public void Pseudo_labels_match_the_sorted_reference(int b, int l, double k)
    {
        var p = TestData.Distributions(b, l, seed: b + l);
        var labels = TestData.Labels(b, l, seed: b * 3);
        foreach (var rule in new[] { AverageKRule.TruePlusTop, AverageKRule.TopThenTrue })
        {
            CheckPseudoLabels(p, b, l, labels, k, rule);
        }
    }

    [SkippableFact]
    public void Pseudo_labels_break_ties_by_lower_flat_index()
    {
        const int b = 9, l = 4;
        var random = new Random(12);
        float[][] rows = [[0.25f, 0.25f, 0.25f, 0.25f], [0.5f, 0.25f, 0.25f, 0f], [0.5f, 0.25f, 0.25f, -0f], [1f, 0f, -0f, 0f]];
        var p = Enumerable.Range(0, b).SelectMany(_ => rows[random.Next(rows.Length)]).ToArray();
        var labels = TestData.Labels(b, l, seed: 4);
        foreach (var k in new[] { 1.0, 1.2, 1.5, 2.0, 2.6, 3.0, 3.9, 4.0 })
        {
            foreach (var rule in new[] { AverageKRule.TruePlusTop, AverageKRule.TopThenTrue })
            {
                CheckPseudoLabels(p, b, l, labels, k, rule);
            }
        }
    }

    [SkippableFact]
    public void Pseudo_labels_with_K_1_are_the_one_hot_labels()
    {
        var labels = TestData.Labels(20, 6, seed: 1);
        using var probs = Upload(TestData.Distributions(20, 6, seed: 1), 20, 6);
        using var z = AverageK.PseudoLabels(probs, labels, 1.0);
        Assert.Equal(TestData.OneHot(labels, 6), z.ToArray());
    }

    public static TheoryData<int, int, double, double> TwoHeadCases() => new()
    {
        { 1, 2, 1.0, 1.0 },
        { 3, 3, 1.5, 1.0 },
        { 7, 10, 2.5, 0.0 },
        { 33, 10, 3.0, 2.5 },
        { 257, 10, 1.3, 1.0 },
        { 33, 1000, 12.0, 0.5 },
    };

    [SkippableTheory]
    [MemberData(nameof(TwoHeadCases))]
    public void Two_head_loss_matches_float64_reference(int b, int l, double k, double mu)
    {
        var a = TestData.Logits(b, l, seed: b + l);
        var m = TestData.Logits(b, l, seed: b + l + 1);
        var labels = TestData.Labels(b, l, seed: b);
        CheckTwoHead(a, m, b, l, labels, k, mu);
    }

    [SkippableFact]
    public void Two_head_gradients_match_finite_differences()
    {
        const int b = 5, l = 4;
        const double k = 1.8, mu = 1.5;
        var a = TestData.Logits(b, l, seed: 21);
        var m = TestData.Logits(b, l, seed: 22);
        var labels = TestData.Labels(b, l, seed: 23);
        var z = AverageKReference.TwoHeadTargets(Float64.Widen(a), b, l, labels, k);
        using var logitsSoftmax = Upload(a, b, l);
        using var logitsMultilabel = Upload(m, b, l);
        var result = AverageK.TwoHeadLoss(logitsSoftmax, logitsMultilabel, labels, k, mu);
        using var ds = result.DSoftmax;
        using var dm = result.DMultilabel;

        // Z is held constant, as the loss treats it.
        var fixedB = Float64.Widen(m);
        var fixedA = Float64.Widen(a);
        var gradA = FiniteDifference.Gradient(x => AverageKReference.TwoHeadLoss(x, fixedB, b, l, labels, z, mu), fixedA, h: 1e-6);
        var gradB = FiniteDifference.Gradient(x => AverageKReference.TwoHeadLoss(fixedA, x, b, l, labels, z, mu), fixedB, h: 1e-6);
        Approx.Elementwise(gradA, ds.ToArray(), "dsoftmax");
        Approx.Elementwise(gradB, dm.ToArray(), "dmultilabel");
    }

    [SkippableFact]
    public void Two_head_loss_with_extreme_logits_gives_no_NaN()
    {
        const int b = 6, l = 5;
        var random = new Random(3);
        var a = Enumerable.Range(0, b * l).Select(_ => random.Next(3) switch { 0 => -80f, 1 => 80f, _ => 0f }).ToArray();
        var m = Enumerable.Range(0, b * l).Select(_ => random.Next(3) switch { 0 => -80f, 1 => 80f, _ => 40f }).ToArray();
        CheckTwoHead(a, m, b, l, TestData.Labels(b, l, seed: 5), 1.5, 1.0);
    }

    [SkippableFact]
    public void Two_head_loss_at_extreme_logits_large_K_and_a_large_scale_meets_the_contract()
    {
        // L = 3001 leaves a partial last vector; exponents past float32's range (±88.7, ±100) underflow
        // to zero in the multi-label head; μ = 1000 makes the gradient scale large, so the absolute
        // floor of the contract cannot hide a relative error.
        const int b = 3, l = 3001;
        var random = new Random(17);
        var a = ExtremeLogits(b * l, random);
        var m = ExtremeLogits(b * l, random);
        CheckTwoHead(a, m, b, l, TestData.Labels(b, l, seed: 9), 40.0, 1000.0);
    }

    [SkippableFact]
    public void Two_head_gradient_scale_beyond_float32_keeps_underflowing_sigmoids()
    {
        // μ/B past 1e30 takes the CPU's float64 path, where e^-|x| below float32's range still counts
        // once scaled. The reference's σ(x) − 1 cancels to 0 for x ≫ 1, so the gradient is checked
        // against −σ(−x) here; the GPU kernels form σ(x) − z as the reference does.
        Skip.If(BackendName != "cpu", "the GPU kernels compute σ(x) − z directly, as the reference does");
        const int b = 3, l = 3001;
        var random = new Random(17);
        var a = ExtremeLogits(b * l, random);
        var m = ExtremeLogits(b * l, random);
        const double hugeMu = 1e36;
        var labels = TestData.Labels(b, l, seed: 9);
        var z = AverageKReference.TwoHeadTargets(Float64.Widen(a), b, l, labels, 40.0);
        using var logitsSoftmax = Upload(a, b, l);
        using var logitsMultilabel = Upload(m, b, l);
        var result = AverageK.TwoHeadLoss(logitsSoftmax, logitsMultilabel, labels, 40.0, hugeMu);
        using var ds = result.DSoftmax;
        using var dm = result.DMultilabel;
        Approx.Scalar(AverageKReference.TwoHeadLoss(Float64.Widen(a), Float64.Widen(m), b, l, labels, z, hugeMu), result.Loss, "loss");
        var stable = m.Select((x, e) => hugeMu / b * (z[e] == 1 ? -1 / (1 + Math.Exp((double)x)) : 1 / (1 + Math.Exp(-(double)x)))).ToArray();
        Approx.Elementwise(stable, dm.ToArray(), "dmultilabel");
    }

    [SkippableFact]
    public void Pseudo_labels_and_thresholds_over_long_rows_with_and_without_ties()
    {
        // Rows longer than a vector with a partial last one: distinct values (every tied candidate
        // taken), and rows of equal values, where the tie quota is handed out inside vectors.
        const int b = 6, l = 37;
        var labels = TestData.Labels(b, l, seed: 6);
        var distinct = TestData.Distributions(b, l, seed: 5);
        var tied = Enumerable.Range(0, b * l).Select(e => e / l % 2 == 0 ? 1f / l : distinct[e]).ToArray();
        foreach (var k in new[] { 1.0, 1.5, 3.3, 10.0, 36.5 })
        {
            foreach (var rule in new[] { AverageKRule.TruePlusTop, AverageKRule.TopThenTrue })
            {
                CheckPseudoLabels(distinct, b, l, labels, k, rule);
                CheckPseudoLabels(tied, b, l, labels, k, rule);
            }

            CheckThreshold(tied, b, l, k, labels);
            CheckThreshold(tied.Select(v => MathF.Round(v * 100)).ToArray(), b, l, k, labels);
        }
    }

    [SkippableFact]
    public void Threshold_names_the_row_of_any_non_finite_score()
    {
        float negativeNaN = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001));
        foreach (var (bad, row) in new[] { (float.NegativeInfinity, 3), (float.NaN, 1), (negativeNaN, 4), (float.PositiveInfinity, 0) })
        {
            var s = TestData.Logits(6, 11, seed: 4);
            s[(row * 11) + 7] = bad;
            using var scores = Upload(s, 6, 11);
            var e = Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 2.0));
            Assert.Equal(("scores", (long)row), (e.Argument, e.Row));
        }
    }

    [SkippableFact]
    public void Bad_input_names_argument_and_row()
    {
        var s = TestData.Logits(5, 4, seed: 1);
        using var scores = Upload(s, 5, 4);
        int[] labels = [0, 1, 2, 3, 0];
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 0.09)).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 4)).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, double.NaN)).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 1, [0, 1])).Argument);
        var e = Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 1, [0, 1, 2, 4, 0]));
        Assert.Equal(("labels", 3L), (e.Argument, e.Row));
        e = Assert.Throws<GslArgumentException>(() => AverageK.Threshold(scores, 1, [0, -1, 2, 3, 0]));
        Assert.Equal(("labels", 1L), (e.Argument, e.Row));
        s[(2 * 4) + 1] = float.PositiveInfinity;
        using var bad = Upload(s, 5, 4);
        e = Assert.Throws<GslArgumentException>(() => AverageK.Threshold(bad, 1));
        Assert.Equal(("scores", 2L), (e.Argument, e.Row));
        using var column = Upload([1f, 2f], 2, 1);
        Assert.Equal("scores", Assert.Throws<GslArgumentException>(() => AverageK.Threshold(column, 0.5)).Argument);

        var p = TestData.Distributions(5, 4, seed: 2);
        using var probs = Upload(p, 5, 4);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(probs, labels, 0.8)).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(probs, labels, 4.2)).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(probs, labels, 0.05, AverageKRule.TopThenTrue)).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(probs, [0, 1, 2, 3], 1.5)).Argument);
        Assert.Equal("rule", Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(probs, labels, 1.5, (AverageKRule)7)).Argument);
        p[(3 * 4) + 2] += 0.1f;
        using var unnormalised = Upload(p, 5, 4);
        e = Assert.Throws<GslArgumentException>(() => AverageK.PseudoLabels(unnormalised, labels, 1.5));
        Assert.Equal(("probs", 3L), (e.Argument, e.Row));

        using var a = Upload(TestData.Logits(5, 4, seed: 3), 5, 4);
        using var other = Upload(TestData.Logits(4, 5, seed: 3), 4, 5);
        Assert.Equal("logits-multilabel", Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(a, other, labels, 1.5)).Argument);
        Assert.Equal("mu", Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(a, a, labels, 1.5, -1)).Argument);
        Assert.Equal("k", Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(a, a, labels, 0.5)).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(a, a, [0, 1, 2, 3, 9], 1.5)).Argument);
        e = Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(bad, a, labels, 1.5));
        Assert.Equal(("logits-softmax", 2L), (e.Argument, e.Row));
        e = Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(a, bad, labels, 1.5));
        Assert.Equal(("logits-multilabel", 2L), (e.Argument, e.Row));
    }

    /// <summary>Logits in ±20 with a third drawn from edge values: ±80, float32's exponent limits (±87.5, ±88.7), ±100, ±0.</summary>
    private static float[] ExtremeLogits(int count, Random random)
    {
        float[] pool = [80f, -80f, 87.5f, -87.5f, 88.7f, -88.7f, 100f, -100f, 30f, -30f, 15f, -15f, 1e-3f, -1e-3f, 0f, -0f];
        return Enumerable.Range(0, count).Select(_ => random.Next(3) == 0 ? pool[random.Next(pool.Length)] : (float)((random.NextDouble() * 40) - 20)).ToArray();
    }

    private void CheckThreshold(float[] scores, int n, int l, double k, int[] labels)
    {
        var expected = AverageKReference.Threshold(scores, n, l, k, labels);
        using var tensor = Upload(scores, n, l);
        var result = AverageK.Threshold(tensor, k, labels);
        Assert.Equal(expected.Threshold, result.Threshold);
        Assert.Equal(expected.MeanSetSize, result.MeanSetSize);
        Assert.Equal(expected.Accuracy, result.Accuracy);
    }

    private void CheckPseudoLabels(float[] p, int b, int l, int[] labels, double k, AverageKRule rule)
    {
        var expected = AverageKReference.PseudoLabels(Float64.Widen(p), b, l, labels, k, rule == AverageKRule.TruePlusTop);
        using var probs = Upload(p, b, l);
        using var z = AverageK.PseudoLabels(probs, labels, k, rule);
        var got = z.ToArray();
        Assert.Equal(expected.Select(v => (float)v).ToArray(), got);
        if (rule == AverageKRule.TruePlusTop)
        {
            Assert.Equal(AverageKReference.Round(k * b), got.Count(v => v == 1f));
        }
    }

    private void CheckTwoHead(float[] a, float[] m, int b, int l, int[] labels, double k, double mu)
    {
        var a64 = Float64.Widen(a);
        var m64 = Float64.Widen(m);
        var z = AverageKReference.TwoHeadTargets(a64, b, l, labels, k);
        var (ds, dm) = AverageKReference.TwoHeadGradients(a64, m64, b, l, labels, z, mu);
        using var logitsSoftmax = Upload(a, b, l);
        using var logitsMultilabel = Upload(m, b, l);
        var result = AverageK.TwoHeadLoss(logitsSoftmax, logitsMultilabel, labels, k, mu);
        using var gotDs = result.DSoftmax;
        using var gotDm = result.DMultilabel;
        Approx.Scalar(AverageKReference.TwoHeadLoss(a64, m64, b, l, labels, z, mu), result.Loss, "loss");
        Approx.Elementwise(ds, gotDs.ToArray(), "dsoftmax");
        Approx.Elementwise(dm, gotDm.ToArray(), "dmultilabel");
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0, 1.0)]
    [InlineData(33, 10, 3.0, 2.5)]
    [InlineData(33, 1000, 12.0, 0.5)]
    public void Into_methods_write_the_allocating_results_bit_for_bit_into_caller_memory(int b, int l, double k, double mu)
    {
        var labels = TestData.Labels(b, l, seed: b);
        using var softmaxLogits = Upload(TestData.Logits(b, l, seed: b + l), b, l);
        using var multilabelLogits = Upload(TestData.Logits(b, l, seed: b + l + 1), b, l);
        using var expected = AverageK.TwoHeadLoss(softmaxLogits, multilabelLogits, labels, k, mu);
        using var dsoftmax = Destination.Create(Backend, [b, l]);
        using var dmultilabel = Destination.Create(Backend, [b, l]);
        double loss = AverageK.TwoHeadLossInto(softmaxLogits, multilabelLogits, labels, k, mu, dsoftmax.Tensor, dmultilabel.Tensor);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(loss));
        Destination.AssertBitwise(expected.DSoftmax.ToArray(), dsoftmax.Read(), "dsoftmax");
        Destination.AssertBitwise(expected.DMultilabel.ToArray(), dmultilabel.Read(), "dmultilabel");

        using var probs = Upload(TestData.Distributions(b, l, seed: b + l), b, l);
        foreach (var rule in new[] { AverageKRule.TruePlusTop, AverageKRule.TopThenTrue })
        {
            using var targets = AverageK.PseudoLabels(probs, labels, k, rule);
            using var output = Destination.Create(Backend, [b, l]);
            AverageK.PseudoLabelsInto(probs, labels, k, output.Tensor, rule);
            Destination.AssertBitwise(targets.ToArray(), output.Read(), $"pseudo-labels ({rule})");
        }
    }

    [SkippableFact]
    public void Into_destinations_are_refused_before_anything_is_written()
    {
        const int b = 5, l = 4;
        const double k = 1.8;
        var labels = TestData.Labels(b, l, seed: 1);
        using var softmaxLogits = Upload(TestData.Logits(b, l, seed: 2), b, l);
        using var multilabelLogits = Upload(TestData.Logits(b, l, seed: 3), b, l);
        using var dsoftmax = Destination.Create(Backend, [b, l]);
        using var dmultilabel = Destination.Create(Backend, [b, l]);
        Tensor[] logits = [softmaxLogits, multilabelLogits];
        DestinationRules.Enforced(Backend, "dsoftmax", [b, l], d => AverageK.TwoHeadLossInto(softmaxLogits, multilabelLogits, labels, k, 1, d, dmultilabel.Tensor), logits, [dmultilabel]);
        DestinationRules.Enforced(Backend, "dmultilabel", [b, l], d => AverageK.TwoHeadLossInto(softmaxLogits, multilabelLogits, labels, k, 1, dsoftmax.Tensor, d), logits, [dsoftmax], earlier: 1);

        using var probs = Upload(TestData.Distributions(b, l, seed: 4), b, l);
        DestinationRules.Enforced(Backend, "output", [b, l], d => AverageK.PseudoLabelsInto(probs, labels, k, d), [probs], []);
    }
}

public sealed class CpuAverageKTests : AverageKTestsBase
{
    protected override string BackendName => "cpu";
}
