using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §1, written once and bound to each backend below.</summary>
public abstract class SoftmaxTestsBase : BackendTestBase
{
    [SkippableTheory]
    [MemberData(nameof(TestData.Shapes), MemberType = typeof(TestData))]
    public void Forward_matches_float64_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: n * 31 + k);
        using var logits = Upload(z, n, k);
        using var probs = Softmax.Forward(logits);
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), n, k), probs.ToArray(), "probs");
    }

    [SkippableTheory]
    [MemberData(nameof(TestData.Shapes), MemberType = typeof(TestData))]
    public void Log_forward_matches_float64_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: n * 17 + k);
        using var logits = Upload(z, n, k);
        using var logProbs = Softmax.LogForward(logits, new SoftmaxOptions(0.5));
        Approx.Elementwise(Float64.LogSoftmax(Float64.Widen(z), n, k, 0.5), logProbs.ToArray(), "logprobs");
    }

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(0.1)]
    [InlineData(3.0)]
    public void Temperature_divides_the_logits(double temperature)
    {
        var z = TestData.Logits(33, 10, seed: 5);
        using var logits = Upload(z, 33, 10);
        using var probs = Softmax.Forward(logits, new SoftmaxOptions(temperature));
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), 33, 10, temperature), probs.ToArray(), "probs");
    }

    [SkippableFact]
    public void Extreme_logits_give_no_NaN()
    {
        float[] z = [80, -80, 0, 80, 80, -80, -80, -80, -80, 79.9f, 80, -80];
        using var logits = Upload(z, 4, 3);
        var p = Softmax.Forward(logits).ToArray();
        var lp = Softmax.LogForward(logits).ToArray();
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), 4, 3), p, "probs");
        Approx.Elementwise(Float64.LogSoftmax(Float64.Widen(z), 4, 3), lp, "logprobs");
        Assert.All(lp, v => Assert.True(float.IsFinite(v)));
    }

    [SkippableFact]
    public void All_equal_logits_give_uniform_probabilities()
    {
        using var logits = Upload(Enumerable.Repeat(7.5f, 3 * 1000).ToArray(), 3, 1000);
        Approx.Elementwise(Enumerable.Repeat(1e-3, 3000).ToArray(), Softmax.Forward(logits).ToArray(), "probs");
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0)]
    [InlineData(7, 3, 1.0)]
    [InlineData(33, 10, 0.5)]
    [InlineData(3, 1000, 2.0)]
    public void Backward_matches_finite_differences(int n, int k, double temperature)
    {
        var z = TestData.Logits(n, k, seed: 11);
        var g = TestData.Logits(n, k, seed: 12, scale: 1.0);
        var p32 = Float64.Softmax(Float64.Widen(z), n, k, temperature).Select(v => (float)v).ToArray();
        using var probs = Upload(p32, n, k);
        using var grad = Upload(g, n, k);
        using var dz = Softmax.Backward(probs, grad, new SoftmaxOptions(temperature));

        // L(z) = Σ g·softmax(z/τ); its finite-difference gradient is the reference.
        double Loss(double[] x) => Float64.Softmax(x, n, k, temperature).Zip(g, (a, b) => a * b).Sum();
        var reference = FiniteDifference.Gradient(Loss, Float64.Widen(z));
        Approx.Elementwise(reference, dz.ToArray(), "dlogits", relative: 1e-4, absolute: 1e-5);
    }

    [SkippableFact]
    public void Backward_rows_sum_to_zero()
    {
        var p = Float64.Softmax(Float64.Widen(TestData.Logits(7, 1000, seed: 3)), 7, 1000).Select(v => (float)v).ToArray();
        using var probs = Upload(p, 7, 1000);
        using var grad = Upload(TestData.Logits(7, 1000, seed: 4), 7, 1000);
        var d = Softmax.Backward(probs, grad).ToArray();
        for (int i = 0; i < 7; i++)
        {
            Assert.True(Math.Abs(d.Skip(i * 1000).Take(1000).Sum(v => (double)v)) < 1e-5);
        }
    }

    [SkippableFact]
    public void Bad_input_names_argument_and_row()
    {
        var z = TestData.Logits(5, 4, seed: 1);
        z[(3 * 4) + 2] = float.NaN;
        using var logits = Upload(z, 5, 4);
        var e = Assert.Throws<GslArgumentException>(() => Softmax.Forward(logits));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(3, e.Row);

        using var ok = Upload(TestData.Logits(5, 4, seed: 1), 5, 4);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => Softmax.Forward(ok, new SoftmaxOptions(0))).Argument);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => Softmax.Forward(ok, new SoftmaxOptions(-1))).Argument);

        using var oneClass = Upload([1f, 2f], 2, 1);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Softmax.Forward(oneClass)).Argument);

        using var vector = Upload([1f, 2f], 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Softmax.Forward(vector)).Argument);

        using var other = Upload(TestData.Logits(4, 5, seed: 1), 4, 5);
        Assert.Equal("grad", Assert.Throws<GslArgumentException>(() => Softmax.Backward(ok, other)).Argument);
    }

    /// <summary>
    /// The CPU passes screen finiteness themselves (no separate scan): every kind of bad value, in a
    /// row's vector part and its tail (K = 37), is named at its row, for each input of each pass,
    /// including an infinite σ against a zero gradient, whose product is the only trace.
    /// </summary>
    [SkippableTheory]
    [InlineData("logits", float.NaN, 3)]
    [InlineData("logits", float.NegativeInfinity, 36)]
    [InlineData("logits", float.PositiveInfinity, 0)]
    [InlineData("log-logits", float.NegativeInfinity, 20)]
    [InlineData("probs", float.PositiveInfinity, 5)]
    [InlineData("probs", float.NaN, 35)]
    [InlineData("grad", float.NegativeInfinity, 1)]
    [InlineData("grad", float.NaN, 36)]
    public void Non_finite_inputs_are_named_at_their_row(string argument, float bad, int column)
    {
        const int n = 6, k = 37;
        var data = TestData.Logits(n, k, seed: 3);
        var zeroGradient = new float[n * k];
        using var clean = Upload(data, n, k);
        data[(2 * k) + column] = bad;
        data[(4 * k) + column] = bad;
        using var dirty = Upload(data, n, k);
        using var zero = Upload(zeroGradient, n, k);
        var e = Assert.Throws<GslArgumentException>(() => argument switch
        {
            "logits" => Softmax.Forward(dirty),
            "log-logits" => Softmax.LogForward(dirty),
            "probs" => Softmax.Backward(dirty, zero),
            _ => Softmax.Backward(clean, dirty),
        });
        Assert.Equal(argument == "log-logits" ? "logits" : argument, e.Argument);
        Assert.Equal(2, e.Row);
    }
}

public sealed class CpuSoftmaxTests : SoftmaxTestsBase
{
    protected override string BackendName => "cpu";
}
