using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §7, written once and bound to each backend below.</summary>
public abstract class SelfClassifierTestsBase : BackendTestBase
{
    /// <summary>V, N, C, G, τ_r, τ_c, logit scale: defaults, G &lt; V, and other temperatures.</summary>
    public static TheoryData<int, int, int, int, double, double, double> SmallCases() => new()
    {
        { 2, 3, 2, 2, 0.1, 0.05, 0.1 },
        { 2, 5, 3, 1, 0.1, 0.05, 0.2 },
        { 3, 4, 5, 3, 0.1, 0.05, 0.1 },
        { 3, 8, 4, 1, 0.1, 0.05, 0.15 },
        { 3, 6, 3, 2, 0.1, 0.05, 0.1 },
        { 4, 3, 2, 2, 0.1, 0.05, 0.2 },
        { 2, 7, 5, 2, 1.0, 0.5, 1.0 },
        { 3, 5, 4, 2, 0.3, 0.2, 0.5 },
    };

    [SkippableTheory]
    [MemberData(nameof(SmallCases))]
    public void Loss_and_gradient_match_finite_differences(int views, int n, int c, int g, double tauRow, double tauCol, double scale)
    {
        var s = TestData.Logits(views * n, c, seed: (views * 100) + (n * 10) + c, scale: scale);
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(tauRow, tauCol, g));
        using var dlogits = result.DLogits;

        double Loss(double[] z) => SelfClassifierReference.Loss(z, views, n, c, tauRow, tauCol, g);
        Approx.Scalar(Loss(x), result.Loss, "loss");
        Approx.Elementwise(FiniteDifference.Gradient(Loss, x, h: 1e-6), dlogits.ToArray(), "dlogits");
        Assert.Equal([views, n, c], dlogits.Shape);
    }

    /// <summary>
    /// ε = 1e-8 instead of 1e-12 on saturated logits (scale 8, τ_c = 0.05, τ_r = 0.1), where P underflows
    /// beside a non-negligible T, so ln((N/C)P + ε) is ln ε there and ε moves the loss by whole units:
    /// the loss and gradient follow the float64 reference with that ε, not with the default.
    /// </summary>
    [SkippableFact]
    public void Epsilon_is_the_one_given_in_the_loss_and_gradient()
    {
        const int views = 3, n = 16, c = 7, g = 3;
        const double epsilon = 1e-8;
        var s = TestData.Logits(views * n, c, seed: 4711, scale: 8.0);
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(GlobalViews: g, Epsilon: epsilon));
        using var dlogits = result.DLogits;

        double expected = SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, g, epsilon);
        double withDefault = SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, g);
        Assert.True(Math.Abs(expected - withDefault) > 0.1, $"the case must depend on ε: {expected} against {withDefault}");
        Approx.Scalar(expected, result.Loss, "loss");
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, g, epsilon), dlogits.ToArray(), "dlogits");
    }

    [Fact]
    public void Reference_gradient_matches_finite_differences()
    {
        foreach (var (views, n, c, g) in new[] { (2, 4, 3, 2), (3, 5, 4, 1), (3, 3, 2, 2) })
        {
            var x = Float64.Widen(TestData.Logits(views * n, c, seed: n + c, scale: 0.2));
            double Loss(double[] z) => SelfClassifierReference.Loss(z, views, n, c, 0.1, 0.05, g);
            var analytic = SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, g);
            Approx.Elementwise(FiniteDifference.Gradient(Loss, x, h: 1e-6), analytic.Select(v => (float)v).ToArray(), "reference gradient");
        }
    }

    [SkippableTheory]
    [InlineData(2, 1, 3, 2)]
    [InlineData(2, 257, 10, 2)]
    [InlineData(3, 33, 1000, 2)]
    [InlineData(2, 7, 3000, 1)]
    [InlineData(4, 100, 33, 2)]
    public void Larger_shapes_match_float64_reference(int views, int n, int c, int g)
    {
        var s = TestData.Logits(views * n, c, seed: n + c, scale: 1.0);
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(GlobalViews: g));
        using var dlogits = result.DLogits;
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, g), result.Loss, "loss");
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, g), dlogits.ToArray(), "dlogits");
    }

    /// <summary>
    /// Class counts that leave a tail after every vector width (C mod 16 = 13 and 3), more samples than
    /// one row block, local views, and logits wide enough (scale 8, τ_c = 0.05) that columns and rows
    /// saturate: the fused float64 row loops against the reference well inside the contract.
    /// </summary>
    [SkippableTheory]
    [InlineData(2, 19, 1037, 2, 1.0)]
    [InlineData(3, 70, 1011, 2, 8.0)]
    [InlineData(2, 300, 259, 1, 8.0)]
    public void Fused_row_loops_match_float64_reference_with_margin(int views, int n, int c, int g, double scale)
    {
        var s = TestData.Logits(views * n, c, seed: n + c + 7, scale: scale);
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(GlobalViews: g));
        using var dlogits = result.DLogits;
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, g), result.Loss, "loss", Approx.ScalarRelative / 100);

        // A hundredth of the contract: float32 rounding of the output is 6e-8 relative, what is left is the arithmetic.
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, g), dlogits.ToArray(), "dlogits", Approx.Relative / 100, Approx.Absolute / 100);
    }

    [SkippableFact]
    public void Extreme_logits_with_many_classes_match_float64_reference()
    {
        const int views = 2, n = 9, c = 1003;
        var random = new Random(11);
        var s = Enumerable.Range(0, views * n * c).Select(_ => random.Next(4) switch { 0 => -80f, 1 => 80f, 2 => 79.9f, _ => (float)(random.NextDouble() - 0.5) }).ToArray();
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits);
        using var dlogits = result.DLogits;
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, views), result.Loss, "loss");
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, views), dlogits.ToArray(), "dlogits");
    }

    [SkippableFact]
    public void Clamped_normalisers_match_finite_differences()
    {
        // Sample 2 of view 0 sits below the batch in every class so that a_n falls just under ε
        // (T = A/ε, no gradient through a_n), and class 0 of view 1 below every other class so that
        // r_0 falls just under ε (P = R/ε): the max(·, ε) branches, where they still matter.
        const int views = 2, n = 4, c = 3;
        var s = TestData.Logits(views * n, c, seed: 9, scale: 0.02);
        for (int y = 0; y < c; y++)
        {
            s[(2 * c) + y] -= 1.45f;
        }

        for (int row = 0; row < n; row++)
        {
            s[(n * c) + (row * c)] -= 2.9f;
        }

        var x = Float64.Widen(s);
        double a = SelfClassifierReference.Normalisers(x, 0, n, c, 0.1, 0.05).RowSumA[2];
        double r = SelfClassifierReference.Normalisers(x, 1, n, c, 0.1, 0.05).ColumnSumR[0];
        Assert.InRange(a, 0.05 * SelfClassifierReference.DefaultEpsilon, SelfClassifierReference.DefaultEpsilon);
        Assert.InRange(r, 0.05 * SelfClassifierReference.DefaultEpsilon, SelfClassifierReference.DefaultEpsilon);

        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits);
        using var dlogits = result.DLogits;
        double Loss(double[] z) => SelfClassifierReference.Loss(z, views, n, c, 0.1, 0.05, views);
        Approx.Scalar(Loss(x), result.Loss, "loss");
        Approx.Elementwise(FiniteDifference.Gradient(Loss, x, h: 1e-6), dlogits.ToArray(), "dlogits");
    }

    [SkippableFact]
    public void All_equal_logits_give_ln_C_and_no_gradient()
    {
        const int views = 3, n = 5, c = 10;
        using var logits = Upload(Enumerable.Repeat(2.5f, views * n * c).ToArray(), views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(GlobalViews: 2));
        using var dlogits = result.DLogits;
        Approx.Scalar(Math.Log(c), result.Loss, "loss");
        Approx.Elementwise(new double[views * n * c], dlogits.ToArray(), "dlogits");
    }

    [SkippableFact]
    public void Extreme_logits_give_no_NaN()
    {
        const int views = 2, n = 6, c = 4;
        var random = new Random(4);
        var s = Enumerable.Range(0, views * n * c).Select(_ => random.Next(3) switch { 0 => -80f, 1 => 80f, _ => 79.9f }).ToArray();
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits);
        using var dlogits = result.DLogits;
        Assert.True(double.IsFinite(result.Loss));
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, views), result.Loss, "loss");
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, views), dlogits.ToArray(), "dlogits");
    }

    /// <summary>
    /// Logits up to ±3.4e38 at temperatures across the allowed range [1e-6, 1e6]: the CPU pass once
    /// formed ln A as S·τ_c⁻¹ − (ColumnMax·τ_c⁻¹ + ln Σ) with a fused multiply-add, which near 3e38 is
    /// off by ±1e19 (NaN gradients, a loss of −119 at τ = 1e3). C = 37 leaves a tail after every
    /// vector width, so the vector lanes and the element loop both see the extremes.
    /// </summary>
    [SkippableTheory]
    [InlineData(1e3, 1e3)]
    [InlineData(1e6, 1e6)]
    [InlineData(0.1, 0.05)]
    [InlineData(1e-6, 1e-6)]
    [InlineData(1e6, 1e-6)]
    [InlineData(1e-6, 1e6)]
    public void Logits_near_float_max_at_any_temperature_match_float64_reference(double tauRow, double tauCol)
    {
        const int views = 3, n = 8, c = 37, g = 2;
        var s = TestData.NearFloatMax(views * n * c, seed: 12);
        var x = Float64.Widen(s);
        using var logits = Upload(s, views, n, c);
        var result = SelfClassifier.Compute(logits, new SelfClassifierOptions(tauRow, tauCol, g));
        using var dlogits = result.DLogits;
        var d = dlogits.ToArray();
        Assert.True(double.IsFinite(result.Loss) && result.Loss >= 0, $"loss {result.Loss}");
        Assert.All(d, v => Assert.True(float.IsFinite(v), $"gradient {v}"));
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, tauRow, tauCol, g), result.Loss, "loss");
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, tauRow, tauCol, g), d, "dlogits");
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        var s = TestData.Logits(2 * 300, 50, seed: 3);
        using var logits = Upload(s, 2, 300, 50);
        var first = SelfClassifier.Compute(logits);
        var second = SelfClassifier.Compute(logits);
        using var d1 = first.DLogits;
        using var d2 = second.DLogits;
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(d1.ToArray(), d2.ToArray());
    }

    [SkippableFact]
    public void Bad_input_names_argument_and_row()
    {
        var s = TestData.Logits(2 * 4, 3, seed: 1);
        using var ok = Upload(s, 2, 4, 3);

        using var oneView = Upload(TestData.Logits(4, 3, seed: 1), 1, 4, 3);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(oneView)).Argument);
        using var matrix = Upload(TestData.Logits(4, 3, seed: 1), 4, 3);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(matrix)).Argument);
        using var oneClass = Upload(TestData.Logits(8, 1, seed: 1), 2, 4, 1);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(oneClass)).Argument);

        Assert.Equal("global-views", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(ok, new SelfClassifierOptions(GlobalViews: 0))).Argument);
        Assert.Equal("global-views", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(ok, new SelfClassifierOptions(GlobalViews: 3))).Argument);
        Assert.Equal("tau-row", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(ok, new SelfClassifierOptions(TauRow: 0))).Argument);
        Assert.Equal("tau-col", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(ok, new SelfClassifierOptions(TauCol: -1))).Argument);
        Assert.Equal("tau-col", Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(ok, new SelfClassifierOptions(TauCol: double.NaN))).Argument);

        s[(6 * 3) + 1] = float.NaN;
        using var bad = Upload(s, 2, 4, 3);
        var e = Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(bad));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(6, e.Row);
        Assert.Contains("view 1, sample 2", e.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(2, 3, 2, 2)]
    [InlineData(3, 33, 1000, 2)]
    [InlineData(4, 100, 33, 1)]
    public void Into_writes_the_allocating_result_bit_for_bit_into_caller_memory(int views, int n, int c, int g)
    {
        using var logits = Upload(TestData.Logits(views * n, c, seed: n + c, scale: 1.0), views, n, c);
        var options = new SelfClassifierOptions(GlobalViews: g);
        using var expected = SelfClassifier.Compute(logits, options);
        using var dlogits = Destination.Create(Backend, [views, n, c]);
        double loss = SelfClassifier.ComputeInto(logits, dlogits.Tensor, options);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(loss));
        Destination.AssertBitwise(expected.DLogits.ToArray(), dlogits.Read(), "dlogits");
    }

    [SkippableFact]
    public void Into_destination_is_refused_before_anything_is_written()
    {
        using var logits = Upload(TestData.Logits(3 * 4, 5, seed: 1, scale: 1.0), 3, 4, 5);
        DestinationRules.Enforced(Backend, "dlogits", [3, 4, 5], d => SelfClassifier.ComputeInto(logits, d), [logits], []);
    }
}

public sealed class CpuSelfClassifierTests : SelfClassifierTestsBase
{
    protected override string BackendName => "cpu";
}
