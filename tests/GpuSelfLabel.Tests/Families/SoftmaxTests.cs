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

    [SkippableTheory]
    [InlineData(3e38f, 1000.0)]
    [InlineData(2e38f, 2.0)]
    public void Log_forward_across_the_float_range_is_finite_where_the_true_value_is(float magnitude, double temperature)
    {
        // z − max overflows float32 here, but (z − max)/τ fits: ln σ = [−ln(1 + e^{−2m/τ}), −2m/τ].
        using var logits = Upload([magnitude, -magnitude, 0f, magnitude], 2, 2);
        var got = Softmax.LogForward(logits, new SoftmaxOptions(temperature)).ToArray();
        double gap = 2.0 * magnitude / temperature;
        Approx.Elementwise([0, -gap, -((double)magnitude / temperature), 0], got, "log-softmax");
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

    /// <summary>
    /// Upstream gradients near ±3e38: g − Σgσ overflows float32 though σ(g − Σgσ) does not (it is 0 where
    /// σ = 0, and at most 1.5e38 elsewhere), so a float32 difference gave 0·∞ = NaN. Rows 0–2 are
    /// peaked (σ one-hot or ties), rows 3–5 spread; C = 37 leaves a tail after every vector width.
    /// </summary>
    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(1e3)]
    [InlineData(1e30)]
    public void Backward_with_gradients_near_float_max_is_finite_and_exact(double temperature)
    {
        const int n = 6, k = 37;
        var z = TestData.NearFloatMax(3 * k, seed: 31).Concat(TestData.Logits(3, k, seed: 32)).ToArray();
        var random = new Random(33);
        var g = Enumerable.Range(0, n * k).Select(_ => random.Next(3) switch { 0 => 3e38f, 1 => -3e38f, _ => (float)random.NextDouble() }).ToArray();
        var p32 = Float64.Softmax(Float64.Widen(z), n, k, temperature).Select(v => (float)v).ToArray();
        using var probs = Upload(p32, n, k);
        using var grad = Upload(g, n, k);
        using var dz = Softmax.Backward(probs, grad, new SoftmaxOptions(temperature));

        var d = dz.ToArray();
        for (int i = 0; i < n; i++)
        {
            double dot = 0, magnitude = 0;
            for (int j = 0; j < k; j++)
            {
                dot += (double)g[(i * k) + j] * p32[(i * k) + j];
                magnitude += Math.Abs((double)g[(i * k) + j] * p32[(i * k) + j]);
            }

            for (int j = 0; j < k; j++)
            {
                int e = (i * k) + j;
                double expected = p32[e] * (g[e] - dot) / temperature;

                // The contract's bound, plus what a float32 Σgσ may lose to cancellation (K roundings of
                // terms up to 3e38): that sum is the operation's, not this fix's, and cancels in tie rows.
                double dotRounding = p32[e] * k * Math.ScaleB(magnitude, -24) / temperature;
                Assert.True(float.IsFinite(d[e]), $"dlogits[{e}] = {d[e]}");
                Assert.True(
                    Math.Abs(d[e] - expected) <= (Approx.Relative * Math.Abs(expected)) + Approx.Absolute + dotRounding,
                    $"dlogits[{e}] = {d[e]}, expected {expected} ± {dotRounding}");
                if (p32[e] == 0)
                {
                    Assert.Equal(0f, Math.Abs(d[e]));
                }
            }
        }
    }

    [SkippableTheory]
    [InlineData(1e-3)]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void Backward_keeps_what_a_nearly_constant_gradient_leaves_at_small_temperature(double temperature)
    {
        // g nearly constant over a row makes g − Σgσ cancel; a float32 Σgσ lost that difference, and a
        // small τ magnified the loss past the contract (row 0: g = 3 and float32 σ summing to 1 + 1e-8).
        const int n = 5, k = 301;
        var random = new Random(41);
        var p32 = Float64.Softmax(Float64.Widen(TestData.Logits(n, k, seed: 42, scale: 2.0)), n, k, 1.0).Select(v => (float)v).ToArray();
        var g = Enumerable.Range(0, n * k).Select(e => e < k ? 3f : (float)(1e4 + random.NextDouble())).ToArray();
        using var probs = Upload(p32, n, k);
        using var grad = Upload(g, n, k);
        var d = Softmax.Backward(probs, grad, new SoftmaxOptions(temperature)).ToArray();
        for (int i = 0; i < n; i++)
        {
            double dot = 0;
            for (int j = 0; j < k; j++)
            {
                dot += (double)g[(i * k) + j] * p32[(i * k) + j];
            }

            for (int j = 0; j < k; j++)
            {
                int e = (i * k) + j;
                double expected = p32[e] * (g[e] - dot) / temperature;
                Assert.True(Math.Abs(d[e] - expected) <= (Approx.Relative * Math.Abs(expected)) + Approx.Absolute, $"dlogits[{e}] = {d[e]}, expected {expected}");
            }
        }
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

    /// <summary>(N, K, τ, extreme): K = 2, 3, 1000, τ = 1 and 0.5, one row and several, Gaussian or ±80 logits.</summary>
    public static TheoryData<int, int, double, bool> LogBackwardCases()
    {
        var data = new TheoryData<int, int, double, bool>();
        foreach (var k in new[] { 2, 3, 1000 })
        {
            foreach (var temperature in new[] { 1.0, 0.5 })
            {
                foreach (var n in new[] { 1, 7 })
                {
                    data.Add(n, k, temperature, false);
                    data.Add(n, k, temperature, true);
                }
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(LogBackwardCases))]
    public void Log_backward_matches_float64_reference(int n, int k, double temperature, bool extreme)
    {
        var (logProbs, g) = LogBackwardInputs(n, k, temperature, extreme);
        using var input = Upload(logProbs, n, k);
        using var grad = Upload(g, n, k);
        using var dz = Softmax.LogBackward(input, grad, new SoftmaxOptions(temperature));

        // (g − exp(ln σ) Σ g)/τ in float64 on the same float32 inputs.
        var reference = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += g[(i * k) + j];
            }

            for (int j = 0; j < k; j++)
            {
                reference[(i * k) + j] = (g[(i * k) + j] - (Math.Exp(logProbs[(i * k) + j]) * sum)) / temperature;
            }
        }

        Approx.Elementwise(reference, dz.ToArray(), "dlogits");
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0, false)]
    [InlineData(1, 2, 0.5, true)]
    [InlineData(7, 3, 1.0, true)]
    [InlineData(7, 3, 0.5, false)]
    [InlineData(3, 1000, 1.0, false)]
    [InlineData(1, 1000, 0.5, true)]
    [InlineData(1, 1000, 1.0, true)]
    public void Log_backward_matches_finite_differences(int n, int k, double temperature, bool extreme)
    {
        var z = Logits(n, k, extreme);
        var w = TestData.Logits(n, k, seed: 13, scale: 1.0);

        // L(z) = Σ w·ln σ + ½c Σ (ln σ)², ln σ = log_softmax(z/τ): g = ∂L/∂(ln σ) = w + c·ln σ.
        const double C = 1e-3;
        var logSigma = Float64.LogSoftmax(Float64.Widen(z), n, k, temperature);
        var g = logSigma.Select((l, i) => (float)(w[i] + (C * l))).ToArray();
        using var logProbs = Upload(logSigma.Select(v => (float)v).ToArray(), n, k);
        using var grad = Upload(g, n, k);
        using var dz = Softmax.LogBackward(logProbs, grad, new SoftmaxOptions(temperature));

        double Loss(double[] x) => Float64.LogSoftmax(x, n, k, temperature).Select((l, i) => (w[i] * l) + (0.5 * C * l * l)).Sum();
        var reference = FiniteDifference.Gradient(Loss, Float64.Widen(z));
        Approx.Elementwise(reference, dz.ToArray(), "dlogits", relative: 1e-4, absolute: 1e-5);
    }

    [SkippableFact]
    public void Log_backward_equals_backward_through_softmax()
    {
        // ∂L/∂(ln σ) = g·σ when g = ∂L/∂σ: the two backward passes give the same gradient.
        const int n = 5, k = 37;
        var logSigma = Float64.LogSoftmax(Float64.Widen(TestData.Logits(n, k, seed: 2)), n, k, 0.5);
        var g = TestData.Logits(n, k, seed: 3, scale: 1.0);
        using var probs = Upload(logSigma.Select(v => (float)Math.Exp(v)).ToArray(), n, k);
        using var logProbs = Upload(logSigma.Select(v => (float)v).ToArray(), n, k);
        using var grad = Upload(g, n, k);
        using var logGrad = Upload(g.Select((v, i) => (float)(v * Math.Exp(logSigma[i]))).ToArray(), n, k);
        using var viaProbs = Softmax.Backward(probs, grad, new SoftmaxOptions(0.5));
        using var viaLogProbs = Softmax.LogBackward(logProbs, logGrad, new SoftmaxOptions(0.5));
        Approx.Elementwise(Approx.Widen(viaProbs.ToArray()), viaLogProbs.ToArray(), "dlogits", 2 * Approx.Relative, 2 * Approx.Absolute);
    }

    [SkippableTheory]
    [InlineData("logProbs", float.NaN, 3)]
    [InlineData("logProbs", float.NegativeInfinity, 36)]
    [InlineData("logProbs", float.PositiveInfinity, 0)]
    [InlineData("grad", float.NegativeInfinity, 1)]
    [InlineData("grad", float.NaN, 36)]
    public void Log_backward_names_non_finite_inputs_at_their_row(string argument, float bad, int column)
    {
        const int n = 6, k = 37;
        var data = Float64.LogSoftmax(Float64.Widen(TestData.Logits(n, k, seed: 3)), n, k).Select(v => (float)v).ToArray();
        using var clean = Upload(data, n, k);
        data[(2 * k) + column] = bad;
        data[(4 * k) + column] = bad;
        using var dirty = Upload(data, n, k);
        using var zero = Upload(new float[n * k], n, k);
        var e = Assert.Throws<GslArgumentException>(() => argument == "grad" ? Softmax.LogBackward(clean, dirty) : Softmax.LogBackward(dirty, zero));
        Assert.Equal(argument, e.Argument);
        Assert.Equal(2, e.Row);
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0)]
    [InlineData(7, 3, 0.5)]
    [InlineData(33, 1000, 2.0)]
    public void Into_methods_write_the_allocating_results_bit_for_bit_into_caller_memory(int n, int k, double temperature)
    {
        var options = new SoftmaxOptions(temperature);
        using var logits = Upload(TestData.Logits(n, k, seed: n + k), n, k);
        using var grad = Upload(TestData.Logits(n, k, seed: n + k + 1, scale: 1.0), n, k);
        using var probs = Softmax.Forward(logits, options);
        using var logProbs = Softmax.LogForward(logits, options);
        using var dlogits = Softmax.Backward(probs, grad, options);
        using var logDlogits = Softmax.LogBackward(logProbs, grad, options);

        void Check(Tensor expected, Action<Tensor> into, string what)
        {
            using var destination = Destination.Create(Backend, [n, k]);
            into(destination.Tensor);
            Destination.AssertBitwise(expected.ToArray(), destination.Read(), what);
        }

        Check(probs, output => Softmax.ForwardInto(logits, output, options), "ForwardInto");
        Check(logProbs, output => Softmax.LogForwardInto(logits, output, options), "LogForwardInto");
        Check(dlogits, output => Softmax.BackwardInto(probs, grad, output, options), "BackwardInto");
        Check(logDlogits, output => Softmax.LogBackwardInto(logProbs, grad, output, options), "LogBackwardInto");
    }

    [SkippableFact]
    public void Into_destinations_are_refused_before_anything_is_written()
    {
        const int n = 4, k = 6;
        using var logits = Upload(TestData.Logits(n, k, seed: 1), n, k);
        using var grad = Upload(TestData.Logits(n, k, seed: 2, scale: 1.0), n, k);
        using var probs = Softmax.Forward(logits);
        using var logProbs = Softmax.LogForward(logits);
        long[] shape = [n, k];
        DestinationRules.Enforced(Backend, "output", shape, d => Softmax.ForwardInto(logits, d), [logits], []);
        DestinationRules.Enforced(Backend, "output", shape, d => Softmax.LogForwardInto(logits, d), [logits], []);
        DestinationRules.Enforced(Backend, "dlogits", shape, d => Softmax.BackwardInto(probs, grad, d), [probs, grad], []);
        DestinationRules.Enforced(Backend, "dlogits", shape, d => Softmax.LogBackwardInto(logProbs, grad, d), [logProbs, grad], []);
    }

    [SkippableFact]
    public void A_destination_overlapping_an_input_by_one_element_is_refused()
    {
        // 4 × 256 floats are 4096 bytes: the touching view below starts where OpenCL may begin a sub-buffer.
        const int n = 4, k = 256;
        using var block = Backend.Allocate(DType.Float32, 2 * n * k);
        var z = TestData.Logits(n, k, seed: 4);
        var input = new Tensor(Backend, block.Buffer, DType.Float32, [n, k], 0, ownsBuffer: false);
        Backend.CopyFromHost(z, input);
        long last = ((n * k) - 1) * sizeof(float);
        var overlapping = new Tensor(Backend, block.Buffer, DType.Float32, [n, k], last, ownsBuffer: false);
        Assert.Equal("output", Assert.Throws<GslArgumentException>(() => Softmax.ForwardInto(input, overlapping)).Argument);
        Assert.Equal(z, input.ToArray());

        if (Backend.Name == "cpu")
        {
            // Two wraps of the caller's memory are two buffers: their addresses say that they overlap.
            var pointer = block.Buffer.Handle;
            using var wrappedInput = Backend.Wrap(pointer, DType.Float32, [n, k]);
            using var wrappedOutput = Backend.Wrap(pointer + (nint)last, DType.Float32, [n, k]);
            Assert.Equal("output", Assert.Throws<GslArgumentException>(() => Softmax.ForwardInto(wrappedInput, wrappedOutput)).Argument);
            Assert.Equal(z, wrappedInput.ToArray());
        }

        // Views of one buffer that only touch are separate memory.
        using var expected = Softmax.Forward(input);
        var touching = new Tensor(Backend, block.Buffer, DType.Float32, [n, k], n * k * sizeof(float), ownsBuffer: false);
        Softmax.ForwardInto(input, touching);
        Destination.AssertBitwise(expected.ToArray(), touching.ToArray(), "output");
        Assert.Equal(z, input.ToArray());
    }

    private static float[] Logits(int n, int k, bool extreme)
    {
        var z = TestData.Logits(n, k, seed: (n * 19) + k);
        if (extreme)
        {
            var random = new Random(k);
            for (int i = 0; i < z.Length; i++)
            {
                z[i] = random.Next(2) == 0 ? -80f : 80f;
            }
        }

        return z;
    }

    private static (float[] LogProbs, float[] Grad) LogBackwardInputs(int n, int k, double temperature, bool extreme)
    {
        var logSigma = Float64.LogSoftmax(Float64.Widen(Logits(n, k, extreme)), n, k, temperature);
        return (logSigma.Select(v => (float)v).ToArray(), TestData.Logits(n, k, seed: (n * 23) + k, scale: 1.0));
    }
}

public sealed class CpuSoftmaxTests : SoftmaxTestsBase
{
    protected override string BackendName => "cpu";
}
