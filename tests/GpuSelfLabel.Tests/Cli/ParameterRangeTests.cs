using GpuSelfLabel.Backends;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// Every scalar parameter has a documented range, enforced once in the public facade: values that pass
/// "finite and > 0" but overflow float32 (τ = 1e-39, λ = 1e300) are refused by the C# API and by gsl
/// alike, naming the parameter, instead of giving NaN or ∞ with exit code 0.
/// </summary>
public sealed class ParameterRangeTests
{
    [Theory]
    [InlineData(1e-39)]
    [InlineData(1e-45)]
    [InlineData(1e31)]
    public void Softmax_temperatures_outside_the_range_are_refused(double temperature)
    {
        using var z = Backend.Cpu.FromArray(TestData.Logits(3, 4, seed: 1), 3, 4);
        var options = new SoftmaxOptions(temperature);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => Softmax.Forward(z, options)).Argument);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => Softmax.LogForward(z, options)).Argument);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => Softmax.Backward(z, z, options)).Argument);
    }

    [Theory]
    [InlineData(1e-45, 0.05, "tau-row")]
    [InlineData(0.1, 1e-45, "tau-col")]
    [InlineData(1e7, 0.05, "tau-row")]
    public void Self_classifier_temperatures_outside_the_range_are_refused(double tauRow, double tauCol, string argument)
    {
        using var z = Backend.Cpu.FromArray(TestData.Logits(8, 3, seed: 2), 2, 4, 3);
        var error = Assert.Throws<GslArgumentException>(() => SelfClassifier.Compute(z, new SelfClassifierOptions(tauRow, tauCol)));
        Assert.Equal(argument, error.Argument);
    }

    [Fact]
    public void Huge_lambda_and_mu_are_refused()
    {
        using var p = Backend.Cpu.FromArray(TestData.Distributions(4, 3, seed: 3), 4, 3);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => PseudoLabels.Em(p, new PseudoLabelOptions(Lambda: 1e300))).Argument);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => PseudoLabels.ProjectedGradient(p, new PseudoLabelOptions(Lambda: 1e300))).Argument);
        using var z = Backend.Cpu.FromArray(TestData.Logits(4, 3, seed: 4), 4, 3);
        Assert.Equal("mu", Assert.Throws<GslArgumentException>(() => AverageK.TwoHeadLoss(z, z, [0, 1, 2, 0], 1, mu: 1e300)).Argument);
    }

    [Theory]
    [InlineData("softmax", "--temperature", "1e-39", "temperature")]
    [InlineData("log-softmax", "--temperature", "1e-45", "temperature")]
    [InlineData("softmax-backward", "--temperature", "1e-39", "temperature")]
    [InlineData("self-classifier", "--tau-row", "1e-45", "tau-row")]
    [InlineData("self-classifier", "--tau-col", "1e-45", "tau-col")]
    [InlineData("cce-em", "--lambda", "1e300", "lambda")]
    [InlineData("two-head-loss", "--mu", "1e300", "mu")]
    public void Gsl_refuses_them_with_exit_2_naming_the_parameter(string op, string flag, string value, string argument)
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(4, 3, seed: 5), 4, 3);
        string p = gsl.Input("p", TestData.Distributions(4, 3, seed: 6), 4, 3);
        string v = gsl.Input("v", TestData.Logits(12, 3, seed: 7), 2, 2, 3);
        string labels = gsl.Input("y", [0L, 1, 2, 0], 4);
        string[] inputs = op switch
        {
            "softmax-backward" => ["--probs", p, "--grad", z],
            "self-classifier" => ["--logits", v],
            "cce-em" => ["--probs", p, "--solver", "em"],
            "two-head-loss" => ["--logits-softmax", z, "--logits-multilabel", z, "--labels", labels, "--k", "1"],
            _ => ["--logits", z],
        };
        Assert.Equal(2, gsl.Run(["op", op, .. inputs, flag, value, "--out", gsl.OutDir, "--backend", "cpu"]));
        Assert.StartsWith($"gsl: argument '{argument}': must be a finite number in [", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));
    }

    [Theory]
    [InlineData(SoftmaxOptions.MinTemperature)]
    [InlineData(SoftmaxOptions.MaxTemperature)]
    public void Softmax_is_finite_at_both_ends_of_its_range(double temperature)
    {
        var values = TestData.Logits(5, 7, seed: 8, scale: 1e6);
        using var z = Backend.Cpu.FromArray(values, 5, 7);
        using var probs = Softmax.Forward(z, new SoftmaxOptions(temperature));
        var p = probs.ToArray();
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(1.0, p.AsSpan(i * 7, 7).ToArray().Sum(), 5);
        }
    }

    [Fact]
    public void Tol_zero_runs_exactly_max_iters()
    {
        using var z = Backend.Cpu.FromArray(TestData.Logits(20, 4, seed: 13), 20, 4);
        using var sela = Sinkhorn.SeLa(z, new SinkhornOptions(Tolerance: 0, CheckEvery: 1, MaxIterations: 37));
        Assert.Equal(37, sela.Iterations[0]);
        using var p = Backend.Cpu.FromArray(TestData.Distributions(20, 4, seed: 14), 20, 4);
        var em = PseudoLabels.Em(p, new PseudoLabelOptions(Tolerance: 0, MaxIterations: 25));
        using var labels = em.Labels;
        Assert.Equal(25, em.Iterations);
    }
}
