using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/self_classifier.cu against the CPU backend and the float64 reference, on shapes that reach
/// every code path: one sample, C = 2, classes that do not fill a group, C larger than one group
/// (3000, 10000), more samples than one column block, more views than one view chunk (V = 9, 10),
/// local views (G &lt; V), extreme logits, forced group sizes from 1 (the tree reductions on CUDA too)
/// to 256 and fewer groups than samples. Written once, bound per GPU backend in OpenClBindings.cs and
/// CudaBindings.cs.
/// </summary>
public abstract class CrossBackendSelfClassifierTestsBase : BackendTestBase
{
    /// <summary>V, N, C, G around every boundary of the launches.</summary>
    public static TheoryData<int, int, int, int> EdgeShapes() => new()
    {
        { 2, 1, 2, 2 },
        { 2, 7, 2, 1 },
        { 3, 33, 10, 2 },
        { 2, 5, 257, 2 },
        { 2, 3, 3000, 2 },
        { 2, 2, 10000, 1 },
        { 10, 4, 33, 2 },
        { 9, 20, 5, 9 },
        { 2, 300, 7, 2 },
    };

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Loss_and_gradient_match_cpu_and_reference(int views, int n, int c, int g)
    {
        var s = TestData.Logits(views * n, c, seed: (views * 1000) + (n * 10) + c, scale: 1.0);
        var options = new SelfClassifierOptions(GlobalViews: g);
        var (loss, dlogits, cpuLoss, cpuDLogits) = Run(Backend, s, views, n, c, options);
        var x = Float64.Widen(s);
        string shape = $"({views}, {n}, {c}) G = {g}";
        Approx.Scalar(cpuLoss, loss, "loss vs cpu " + shape, 2 * Approx.ScalarRelative);
        CloseToCpu(cpuDLogits, dlogits, "dlogits " + shape);
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, g), loss, "loss " + shape);
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, g), dlogits, "dlogits " + shape);
    }

    [SkippableFact]
    public void Extreme_logits_match_cpu_without_NaN()
    {
        const int views = 3, n = 5, c = 3000;
        var random = new Random(8);
        var s = Enumerable.Range(0, views * n * c).Select(_ => random.Next(3) switch { 0 => -80f, 1 => 80f, _ => 79.9f }).ToArray();
        var options = new SelfClassifierOptions(GlobalViews: 2);
        var (loss, dlogits, cpuLoss, cpuDLogits) = Run(Backend, s, views, n, c, options);
        Assert.True(double.IsFinite(loss));
        Assert.All(dlogits, v => Assert.True(float.IsFinite(v)));
        Approx.Scalar(cpuLoss, loss, "loss vs cpu", 2 * Approx.ScalarRelative);
        CloseToCpu(cpuDLogits, dlogits, "dlogits");
        Approx.Scalar(SelfClassifierReference.Loss(Float64.Widen(s), views, n, c, 0.1, 0.05, 2), loss, "loss");
    }

    /// <summary>Logits up to ±3.4e38 with large and small temperatures: both backends finite, non-negative and equal within the contract.</summary>
    [SkippableTheory]
    [InlineData(1e3, 1e3)]
    [InlineData(1e6, 1e-6)]
    [InlineData(1e-6, 1e3)]
    public void Logits_near_float_max_match_cpu(double tauRow, double tauCol)
    {
        const int views = 2, n = 6, c = 3000;
        var s = TestData.NearFloatMax(views * n * c, seed: 21);
        var options = new SelfClassifierOptions(tauRow, tauCol);
        var (loss, dlogits, cpuLoss, cpuDLogits) = Run(Backend, s, views, n, c, options);
        Assert.True(double.IsFinite(loss) && loss >= 0, $"loss {loss}");
        Assert.True(double.IsFinite(cpuLoss) && cpuLoss >= 0, $"cpu loss {cpuLoss}");
        Assert.All(dlogits, v => Assert.True(float.IsFinite(v)));
        Assert.All(cpuDLogits, v => Assert.True(float.IsFinite(v)));
        Approx.Scalar(cpuLoss, loss, "loss vs cpu", 2 * Approx.ScalarRelative);
        CloseToCpu(cpuDLogits, dlogits, "dlogits");
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.Overrides), MemberType = typeof(LaunchCases))]
    public void Every_group_size_and_grid_stride_give_the_same_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        foreach (var (views, n, c, g) in new[] { (3, 7, 40, 2), (10, 5, 3, 2), (2, 70, 300, 1) })
        {
            var s = TestData.Logits(views * n, c, seed: views + n + c, scale: 1.0);
            var (loss, dlogits, cpuLoss, cpuDLogits) = Run(backend, s, views, n, c, new SelfClassifierOptions(GlobalViews: g));
            string shape = $"({views}, {n}, {c}) G = {g}, group {groupSize}, max groups {maxGroups}";
            Approx.Scalar(cpuLoss, loss, "loss vs cpu " + shape, 2 * Approx.ScalarRelative);
            CloseToCpu(cpuDLogits, dlogits, "dlogits " + shape);
        }
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        var s = TestData.Logits(3 * 100, 300, seed: 5);
        using var logits = Upload(s, 3, 100, 300);
        var options = new SelfClassifierOptions(GlobalViews: 2);
        var first = SelfClassifier.Compute(logits, options);
        var second = SelfClassifier.Compute(logits, options);
        using var d1 = first.DLogits;
        using var d2 = second.DLogits;
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(d1.ToArray(), d2.ToArray());
    }

    /// <summary>
    /// Caller-owned scratch: one evaluation allocates its gradient and one workspace (the statistics,
    /// every pass's column and loss partials and the finiteness check's scan, all views of one buffer),
    /// whatever V, N and C; the passes allocate nothing. Before, the workspace was nine tensors and the
    /// passes allocated three partial buffers more.
    /// </summary>
    [SkippableFact]
    public void One_evaluation_allocates_its_gradient_and_one_workspace_whatever_the_shape()
    {
        using var backend = OpenPrivateBackend();
        foreach (var (views, n, c) in new[] { (2, 1, 2), (3, 300, 40), (10, 4, 3000) })
        {
            var s = TestData.Logits(views * n, c, seed: views + n + c, scale: 1.0);
            using var logits = backend.FromArray(s, views, n, c);
            using var dlogits = backend.Allocate(DType.Float32, views, n, c);
            long before = backend.DeviceAllocations;
            using (var result = SelfClassifier.Compute(logits))
            {
                // dlogits + the workspace.
                Assert.Equal(2, backend.DeviceAllocations - before);
            }

            before = backend.DeviceAllocations;
            SelfClassifier.ComputeInto(logits, dlogits);

            // The workspace alone.
            Assert.Equal(1, backend.DeviceAllocations - before);
        }
    }

    private static (double Loss, float[] DLogits, double CpuLoss, float[] CpuDLogits) Run(
        Backend backend, float[] s, int views, int n, int c, SelfClassifierOptions options)
    {
        using var logits = backend.FromArray(s, views, n, c);
        using var cpuLogits = Backend.Cpu.FromArray(s, views, n, c);
        var result = SelfClassifier.Compute(logits, options);
        var cpuResult = SelfClassifier.Compute(cpuLogits, options);
        using var d = result.DLogits;
        using var cpuD = cpuResult.DLogits;
        Assert.Same(backend, d.Backend);
        return (result.Loss, d.ToArray(), cpuResult.Loss, cpuD.ToArray());
    }

    /// <summary>Both backends are within the contract of float64, so within twice it of each other.</summary>
    private static void CloseToCpu(float[] cpu, float[] gpu, string what) =>
        Approx.Elementwise(Approx.Widen(cpu), gpu, what + " vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);
}
