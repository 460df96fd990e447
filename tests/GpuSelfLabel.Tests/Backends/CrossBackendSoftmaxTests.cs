using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/softmax.cu against the CPU backend and the float64 reference, on shapes that reach every
/// code path: rows that do not fill a group, K = 2, K at and around group sizes, K larger than one
/// group (3000, 10000), one row, more rows than groups, extreme logits, forced group sizes from 1
/// (the tree reduction on CUDA too) to 256. Written once, bound per GPU backend in
/// OpenClBindings.cs and CudaBindings.cs.
/// </summary>
public abstract class CrossBackendSoftmaxTestsBase : BackendTestBase
{
    [SkippableTheory]
    [MemberData(nameof(LaunchCases.RowEdges), MemberType = typeof(LaunchCases))]
    public void Forward_and_log_forward_match_cpu_and_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 1000 + (n * 7) + k);
        foreach (var temperature in new[] { 1.0, 0.7 })
        {
            var options = new SoftmaxOptions(temperature);
            var (probs, cpuProbs) = Run(z, n, k, t => Softmax.Forward(t, options));
            var (logProbs, cpuLogProbs) = Run(z, n, k, t => Softmax.LogForward(t, options));
            CloseToCpu(cpuProbs, probs, $"probs τ={temperature}");
            CloseToCpu(cpuLogProbs, logProbs, $"logprobs τ={temperature}");
            Approx.Elementwise(Float64.Softmax(Float64.Widen(z), n, k, temperature), probs, $"probs τ={temperature}");
            Approx.Elementwise(Float64.LogSoftmax(Float64.Widen(z), n, k, temperature), logProbs, $"logprobs τ={temperature}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.RowEdges), MemberType = typeof(LaunchCases))]
    public void Backward_matches_cpu(int n, int k)
    {
        var p = Float64.Softmax(Float64.Widen(TestData.Logits(n, k, seed: k)), n, k).Select(v => (float)v).ToArray();
        var g = TestData.Logits(n, k, seed: n + 1, scale: 1.0);
        using var probs = Upload(p, n, k);
        using var grad = Upload(g, n, k);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        using var cpuGrad = Backend.Cpu.FromArray(g, n, k);
        var options = new SoftmaxOptions(0.5);
        using var d = Softmax.Backward(probs, grad, options);
        using var cpuD = Softmax.Backward(cpuProbs, cpuGrad, options);
        CloseToCpu(cpuD.ToArray(), d.ToArray(), "dlogits");
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.RowEdges), MemberType = typeof(LaunchCases))]
    public void Log_backward_matches_cpu_and_reference(int n, int k)
    {
        foreach (var temperature in new[] { 1.0, 0.5 })
        {
            var logSigma = Float64.LogSoftmax(Float64.Widen(TestData.Logits(n, k, seed: k + 3)), n, k, temperature);
            var l = logSigma.Select(v => (float)v).ToArray();
            var g = TestData.Logits(n, k, seed: n + 2, scale: 1.0);
            using var logProbs = Upload(l, n, k);
            using var grad = Upload(g, n, k);
            using var cpuLogProbs = Backend.Cpu.FromArray(l, n, k);
            using var cpuGrad = Backend.Cpu.FromArray(g, n, k);
            var options = new SoftmaxOptions(temperature);
            using var d = Softmax.LogBackward(logProbs, grad, options);
            using var cpuD = Softmax.LogBackward(cpuLogProbs, cpuGrad, options);
            CloseToCpu(cpuD.ToArray(), d.ToArray(), $"dlogits τ={temperature}");
            Approx.Elementwise(LogBackwardReference(l, g, n, k, temperature), d.ToArray(), $"dlogits τ={temperature}");
        }
    }

    [SkippableFact]
    public void Log_backward_at_extreme_logits_matches_cpu_and_reference()
    {
        const int K = 3000;
        var z = new float[3 * K];
        for (int j = 0; j < K; j++)
        {
            z[j] = j % 2 == 0 ? 80f : -80f;
            z[K + j] = j == 1234 ? 80f : -80f;
            z[(2 * K) + j] = 7.5f;
        }

        var g = TestData.Logits(3, K, seed: 5, scale: 1.0);
        foreach (var temperature in new[] { 1.0, 0.5 })
        {
            var l = Float64.LogSoftmax(Float64.Widen(z), 3, K, temperature).Select(v => (float)v).ToArray();
            using var logProbs = Upload(l, 3, K);
            using var grad = Upload(g, 3, K);
            using var cpuLogProbs = Backend.Cpu.FromArray(l, 3, K);
            using var cpuGrad = Backend.Cpu.FromArray(g, 3, K);
            var options = new SoftmaxOptions(temperature);
            using var d = Softmax.LogBackward(logProbs, grad, options);
            using var cpuD = Softmax.LogBackward(cpuLogProbs, cpuGrad, options);
            CloseToCpu(cpuD.ToArray(), d.ToArray(), $"dlogits τ={temperature}");
            Approx.Elementwise(LogBackwardReference(l, g, 3, K, temperature), d.ToArray(), $"dlogits τ={temperature}");
        }
    }

    [SkippableFact]
    public void Extreme_logits_match_cpu_without_NaN()
    {
        const int K = 3000;
        var z = new float[4 * K];
        Array.Fill(z, -80f, 0, K);
        z[K - 1] = 80f;
        for (int j = 0; j < K; j++)
        {
            z[K + j] = j % 2 == 0 ? 80f : -80f;
            z[(2 * K) + j] = 7.5f;
            z[(3 * K) + j] = j == 1234 ? 1e4f : -1e4f;
        }

        foreach (var temperature in new[] { 1.0, 0.1 })
        {
            var options = new SoftmaxOptions(temperature);
            var (probs, cpuProbs) = Run(z, 4, K, t => Softmax.Forward(t, options));
            var (logProbs, cpuLogProbs) = Run(z, 4, K, t => Softmax.LogForward(t, options));
            Assert.All(probs, v => Assert.True(float.IsFinite(v)));
            Assert.All(logProbs, v => Assert.True(float.IsFinite(v)));
            CloseToCpu(cpuProbs, probs, "probs");
            CloseToCpu(cpuLogProbs, logProbs, "logprobs");
            Approx.Elementwise(Float64.LogSoftmax(Float64.Widen(z), 4, K, temperature), logProbs, "logprobs");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.Overrides), MemberType = typeof(LaunchCases))]
    public void Every_group_size_and_grid_stride_give_the_same_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        foreach (var (n, k) in new[] { (3, 1000), (7, 3), (257, 10), (2, 2) })
        {
            var z = TestData.Logits(n, k, seed: n + k);
            using var logits = backend.FromArray(z, n, k);
            using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
            using var probs = Softmax.Forward(logits);
            using var cpuProbs = Softmax.Forward(cpuLogits);
            using var logProbs = Softmax.LogForward(logits, new SoftmaxOptions(2.0));
            using var cpuLogProbs = Softmax.LogForward(cpuLogits, new SoftmaxOptions(2.0));
            using var grad = backend.FromArray(z, n, k);
            using var d = Softmax.Backward(probs, grad);
            using var cpuD = Softmax.Backward(cpuProbs, cpuLogits);
            using var logD = Softmax.LogBackward(logProbs, grad, new SoftmaxOptions(2.0));
            using var cpuLogD = Softmax.LogBackward(cpuLogProbs, cpuLogits, new SoftmaxOptions(2.0));
            string shape = $"({n}, {k}) group {groupSize}, max groups {maxGroups}";
            CloseToCpu(cpuProbs.ToArray(), probs.ToArray(), "probs " + shape);
            CloseToCpu(cpuLogProbs.ToArray(), logProbs.ToArray(), "logprobs " + shape);
            CloseToCpu(cpuD.ToArray(), d.ToArray(), "dlogits " + shape);
            CloseToCpu(cpuLogD.ToArray(), logD.ToArray(), "log dlogits " + shape);
        }
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        var z = TestData.Logits(65, 3000, seed: 9);
        using var logits = Upload(z, 65, 3000);
        using var first = Softmax.LogForward(logits);
        using var second = Softmax.LogForward(logits);
        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [SkippableFact]
    public void Wrapped_device_memory_is_read_and_written_in_place()
    {
        var z = TestData.Logits(9, 100, seed: 4);
        using var owner = Upload(z, 9, 100);
        using var view = Backend.Wrap(owner.Buffer.Handle, DType.Float32, [9, 100], [100, 1]);
        Assert.False(view.Buffer.OwnsMemory);
        using var probs = Softmax.Forward(view);
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), 9, 100), probs.ToArray(), "probs");

        using var outputOwner = Backend.Allocate(DType.Float32, 9, 100);
        using var outputView = Backend.Wrap(outputOwner.Buffer.Handle, DType.Float32, [9, 100]);
        Backend.CopyFromHost(z, outputView);
        Assert.Equal(z, outputOwner.ToArray());

        // A view's Dispose must leave the owner's memory usable.
        view.Dispose();
        Assert.Equal(z, owner.ToArray());
    }

    [SkippableFact]
    public void Tensors_inside_a_larger_buffer_are_read_and_written_at_their_offset()
    {
        const int N = 5;
        const int K = 300;
        const long Offset = 4096;
        var z = TestData.Logits(N, K, seed: 12);
        using var inputs = Backend.Allocate(DType.Float32, 2048 + (N * K));
        using var outputs = Backend.Allocate(DType.Float32, 2048 + (N * K));
        Backend.CopyFromHost(Enumerable.Repeat(float.NaN, (int)inputs.Length).ToArray(), inputs);
        Backend.CopyFromHost(Enumerable.Repeat(-1f, (int)outputs.Length).ToArray(), outputs);
        var input = new Tensor(Backend, inputs.Buffer, DType.Float32, [N, K], Offset, ownsBuffer: false);
        var output = new Tensor(Backend, outputs.Buffer, DType.Float32, [N, K], Offset, ownsBuffer: false);
        Backend.CopyFromHost(z, input);

        Assert.Equal(-1, DeviceScan.FindInvalidRow(input, RowCheck.Finite, out _));
        Backend.Kernels.SoftmaxForward(input, output, 1f, false);
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), N, K), output.ToArray(), "probs");
        var all = outputs.ToArray();
        Assert.All(all.Take((int)(Offset / sizeof(float))), v => Assert.Equal(-1f, v));
        Assert.All(all.Skip((int)(Offset / sizeof(float)) + (N * K)), v => Assert.Equal(-1f, v));
    }

    [SkippableFact]
    public void Wrapping_too_little_memory_names_the_pointer()
    {
        using var owner = Upload(TestData.Logits(2, 10, seed: 1), 2, 10);
        var e = Assert.Throws<GslArgumentException>(() => Backend.Wrap(owner.Buffer.Handle, DType.Float32, [3, 10]));
        Assert.Equal("pointer", e.Argument);
    }

    private (float[] Gpu, float[] Cpu) Run(float[] z, int n, int k, Func<Tensor, Tensor> operation)
    {
        using var logits = Upload(z, n, k);
        using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
        using var result = operation(logits);
        using var cpuResult = operation(cpuLogits);
        Assert.Same(Backend, result.Backend);
        return (result.ToArray(), cpuResult.ToArray());
    }

    /// <summary>(g − exp(ln σ) Σ g)/τ in float64 on the float32 inputs.</summary>
    private static double[] LogBackwardReference(float[] logProbs, float[] g, int n, int k, double temperature)
    {
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

        return reference;
    }

    /// <summary>Both backends are within the contract of float64, so within twice it of each other.</summary>
    private static void CloseToCpu(float[] cpu, float[] gpu, string what) =>
        Approx.Elementwise(Approx.Widen(cpu), gpu, what + " vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);
}
