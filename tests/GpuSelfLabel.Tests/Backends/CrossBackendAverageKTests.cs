using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/average_k.cu against the CPU backend: thresholds and pseudo-labels must be identical (they
/// are integer counts and exact keys), the two-head loss and gradients within the contract. Shapes
/// reach every path: one row, K = 2, rows that do not fill a group, L larger than a group (3000,
/// 10000) so that tie ranks carry across tiles, histogram chunks that end inside a row, forced group
/// sizes and grids of a single group. Written once, bound per GPU backend in OpenClBindings.cs and CudaBindings.cs.
/// </summary>
public abstract class CrossBackendAverageKTestsBase : BackendTestBase
{
    public static TheoryData<int, int, double> Shapes() => new()
    {
        { 1, 2, 1.0 }, { 7, 2, 1.5 }, { 33, 10, 2.5 }, { 257, 3, 1.2 }, { 3, 3000, 40.0 }, { 1, 10000, 37.0 }, { 2, 10000, 5.5 },
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Threshold_is_the_cpu_threshold(int n, int l, double k)
    {
        var s = TestData.Logits(n, l, seed: n + l);
        var labels = TestData.Labels(n, l, seed: n);
        using var scores = Upload(s, n, l);
        using var cpuScores = Backend.Cpu.FromArray(s, n, l);
        Assert.Equal(AverageK.Threshold(cpuScores, k, labels), AverageK.Threshold(scores, k, labels));

        // Coarse values: the selected key sits in a long run of ties.
        var coarse = s.Select(v => MathF.Round(v)).ToArray();
        using var coarseScores = Upload(coarse, n, l);
        using var cpuCoarse = Backend.Cpu.FromArray(coarse, n, l);
        Assert.Equal(AverageK.Threshold(cpuCoarse, k, labels), AverageK.Threshold(coarseScores, k, labels));
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Pseudo_labels_are_the_cpu_pseudo_labels(int n, int l, double k)
    {
        var labels = TestData.Labels(n, l, seed: n + 1);
        SamePseudoLabels(Backend, TestData.Distributions(n, l, seed: n * l), n, l, labels, k);
        SamePseudoLabels(Backend, TiedDistributions(n, l, seed: l), n, l, labels, k);
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Two_head_loss_matches_cpu(int n, int l, double k)
    {
        var a = TestData.Logits(n, l, seed: n + l);
        var b = TestData.Logits(n, l, seed: n + l + 1);
        CloseTwoHead(Backend, a, b, n, l, TestData.Labels(n, l, seed: n), k, 1.5);
    }

    [SkippableFact]
    public void Two_head_loss_with_extreme_logits_matches_cpu_without_NaN()
    {
        const int N = 5;
        const int L = 3000;
        var random = new Random(8);
        var a = Enumerable.Range(0, N * L).Select(_ => random.Next(3) switch { 0 => -80f, 1 => 80f, _ => 0f }).ToArray();
        var b = Enumerable.Range(0, N * L).Select(_ => random.Next(4) switch { 0 => -80f, 1 => 80f, 2 => 1e-30f, _ => 40f }).ToArray();
        Array.Fill(a, -80f, 0, L);
        a[L - 1] = 80f;
        CloseTwoHead(Backend, a, b, N, L, TestData.Labels(N, L, seed: 9), 300.0, 1.0);
    }

    [SkippableTheory]
    [InlineData(1, null)]
    [InlineData(2, 1L)]
    [InlineData(32, 3L)]
    [InlineData(64, null)]
    [InlineData(256, 2L)]
    [InlineData(null, 1L)]
    public void Every_group_size_and_grid_give_the_cpu_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        foreach (var (n, l, k) in new[] { (7, 300, 20.0), (257, 10, 2.3), (2, 2, 1.5) })
        {
            var s = TestData.Logits(n, l, seed: n + l);
            var labels = TestData.Labels(n, l, seed: n);
            using var scores = backend.FromArray(s, n, l);
            using var cpuScores = Backend.Cpu.FromArray(s, n, l);
            Assert.Equal(AverageK.Threshold(cpuScores, k, labels), AverageK.Threshold(scores, k, labels));
            SamePseudoLabels(backend, TiedDistributions(n, l, seed: n), n, l, labels, k);
            CloseTwoHead(backend, s, TestData.Logits(n, l, seed: 3), n, l, labels, k, 0.5);
        }
    }

    [SkippableTheory]
    [InlineData(1, 10000)]
    [InlineData(33, 1000)]
    [InlineData(5, 3)]
    public void Histograms_tie_counts_and_keys_below_match_cpu(int n, int l)
    {
        var s = TestData.Logits(n, l, seed: l).Select(v => MathF.Round(v * 64) / 64).ToArray();
        s[0] = -0f;
        s[^1] = 0f;
        var labels = TestData.Labels(n, l, seed: l + 1);
        _ = Backend;
        foreach (var (groupSize, maxGroups) in new (int?, long?)[] { (null, null), (16, 3), (null, 1) })
        {
            using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
            using var scores = backend.FromArray(s, n, l);
            using var labelTensor = ClassIndexTensor.Upload(backend, labels);
            using var cpuScores = Backend.Cpu.FromArray(s, n, l);
            using var cpuLabels = ClassIndexTensor.Upload(Backend.Cpu, labels);
            using var scratch = backend.Allocate(DType.Float64, backend.AverageKScratchElements(n, l));
            using var cpuScratch = Backend.Cpu.Allocate(DType.Float64, Backend.Cpu.AverageKScratchElements(n, l));
            var gpu = backend.Kernels;
            var cpu = Backend.Cpu.Kernels;
            uint key = Selection.OrderedKey.FromSingle(s[s.Length / 2]);
            foreach (var (prefixBits, binBits) in new[] { (0, 11), (11, 11), (22, 10), (5, 3) })
            {
                uint prefix = prefixBits == 0 ? 0 : key >> (32 - prefixBits);
                foreach (bool exclude in new[] { false, true })
                {
                    var expected = new long[1 << binBits];
                    var got = new long[1 << binBits];
                    cpu.AverageKKeyHistogram(cpuScores, exclude ? cpuLabels : null, prefix, prefixBits, binBits, expected, cpuScratch);
                    gpu.AverageKKeyHistogram(scores, exclude ? labelTensor : null, prefix, prefixBits, binBits, got, scratch);
                    Assert.Equal(expected, got);

                    var cpuTies = new long[n];
                    var ties = new long[n];
                    cpu.AverageKTieCounts(cpuScores, exclude ? cpuLabels : null, key, cpuTies, cpuScratch);
                    gpu.AverageKTieCounts(scores, exclude ? labelTensor : null, key, ties, scratch);
                    Assert.Equal(cpuTies, ties);
                }
            }

            Assert.Equal(cpu.AverageKMaxKeyBelow(cpuScores, key, cpuScratch), gpu.AverageKMaxKeyBelow(scores, key, scratch));
            Assert.Equal(0u, gpu.AverageKMaxKeyBelow(scores, 0u, scratch));
            Assert.Equal(cpu.AverageKLabelHits(cpuScores, cpuLabels, s[1], cpuScratch), gpu.AverageKLabelHits(scores, labelTensor, s[1], scratch));
        }
    }

    [SkippableFact]
    public void Two_head_loss_is_bitwise_reproducible()
    {
        const int N = 65;
        const int L = 1000;
        var labels = TestData.Labels(N, L, seed: 1);
        using var a = Upload(TestData.Logits(N, L, seed: 2), N, L);
        using var b = Upload(TestData.Logits(N, L, seed: 3), N, L);
        var first = AverageK.TwoHeadLoss(a, b, labels, 4.5);
        var second = AverageK.TwoHeadLoss(a, b, labels, 4.5);
        using var ds1 = first.DSoftmax;
        using var dm1 = first.DMultilabel;
        using var ds2 = second.DSoftmax;
        using var dm2 = second.DMultilabel;
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(ds1.ToArray(), ds2.ToArray());
        Assert.Equal(dm1.ToArray(), dm2.ToArray());
    }

    /// <summary>
    /// Caller-owned scratch: an Average-K call allocates one workspace, which every histogram round, the
    /// tie counts, the quota, the heads' partials and the row checks reuse, beside its outputs and the
    /// uploaded labels, whatever the shape and whether ties make the selection take its longer path.
    /// </summary>
    [SkippableFact]
    public void An_average_k_call_allocates_a_fixed_count()
    {
        using var backend = OpenPrivateBackend();
        foreach (var (n, l, k) in new[] { (8, 5, 2.0), (300, 40, 3.5), (65, 1000, 4.5) })
        {
            var labels = TestData.Labels(n, l, seed: n);
            using var probs = backend.FromArray(TiedDistributions(n, l, seed: l), n, l);
            using var a = backend.FromArray(TestData.Logits(n, l, seed: 2), n, l);
            using var b = backend.FromArray(TestData.Logits(n, l, seed: 3), n, l);
            using var output = backend.Allocate(DType.Float32, n, l);
            long Allocations(Action call)
            {
                long before = backend.DeviceAllocations;
                call();
                return backend.DeviceAllocations - before;
            }

            // The workspace; then the workspace and the labels.
            Assert.Equal(1, Allocations(() => AverageK.Threshold(probs, k)));
            Assert.Equal(2, Allocations(() => AverageK.Threshold(probs, k, labels)));

            // The output, the workspace and the labels; then the workspace and the labels.
            Assert.Equal(3, Allocations(() => AverageK.PseudoLabels(probs, labels, k).Dispose()));
            Assert.Equal(2, Allocations(() => AverageK.PseudoLabelsInto(probs, labels, k, output, AverageKRule.TopThenTrue)));

            // Both gradients, the labels and one workspace (the Average-K scratch, softmax(a) and Z).
            Assert.Equal(4, Allocations(() => AverageK.TwoHeadLoss(a, b, labels, k).Dispose()));
        }
    }

    /// <summary>Rows of a few kinds, uniform rows among them, so that ties of one value span rows and tiles.</summary>
    private static float[] TiedDistributions(int n, int l, int seed)
    {
        var random = new Random(seed);
        var p = new float[n * l];
        for (int i = 0; i < n; i++)
        {
            var row = p.AsSpan(i * l, l);
            switch (random.Next(3))
            {
                case 0:
                    row.Fill(1f / l);
                    break;
                case 1:
                    row[random.Next(l)] = 1f;
                    break;
                default:
                    row.Fill(0.5f / l);
                    row[0] += 0.25f;
                    row[l - 1] += 0.25f;
                    break;
            }
        }

        return p;
    }

    private static void SamePseudoLabels(Backend backend, float[] p, int n, int l, int[] labels, double k)
    {
        using var probs = backend.FromArray(p, n, l);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, l);
        foreach (var rule in new[] { AverageKRule.TruePlusTop, AverageKRule.TopThenTrue })
        {
            using var z = AverageK.PseudoLabels(probs, labels, k, rule);
            using var cpuZ = AverageK.PseudoLabels(cpuProbs, labels, k, rule);
            Assert.Equal(cpuZ.ToArray(), z.ToArray());
        }
    }

    private static void CloseTwoHead(Backend backend, float[] a, float[] b, int n, int l, int[] labels, double k, double mu)
    {
        using var logitsSoftmax = backend.FromArray(a, n, l);
        using var logitsMultilabel = backend.FromArray(b, n, l);
        using var cpuSoftmax = Backend.Cpu.FromArray(a, n, l);
        using var cpuMultilabel = Backend.Cpu.FromArray(b, n, l);
        var result = AverageK.TwoHeadLoss(logitsSoftmax, logitsMultilabel, labels, k, mu);
        var cpu = AverageK.TwoHeadLoss(cpuSoftmax, cpuMultilabel, labels, k, mu);
        using var ds = result.DSoftmax;
        using var dm = result.DMultilabel;
        using var cpuDs = cpu.DSoftmax;
        using var cpuDm = cpu.DMultilabel;
        Assert.True(double.IsFinite(result.Loss));
        Approx.Scalar(cpu.Loss, result.Loss, "loss vs cpu");
        CloseToCpu(cpuDs.ToArray(), ds.ToArray(), "dsoftmax");
        CloseToCpu(cpuDm.ToArray(), dm.ToArray(), "dmultilabel");
    }

    /// <summary>Both backends are within the contract of float64, so within twice it of each other.</summary>
    private static void CloseToCpu(float[] cpu, float[] gpu, string what) =>
        Approx.Elementwise(Approx.Widen(cpu), gpu, what + " vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);
}
