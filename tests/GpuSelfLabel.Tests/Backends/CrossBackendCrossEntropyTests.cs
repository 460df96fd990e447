using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/collision_ce.cu and kernels/reductions.cu against the CPU backend and the float64
/// references, on shapes that reach every code path: rows that do not fill a group, K = 2, K around
/// group sizes, K larger than one group (3000, 10000), one row, more rows than groups, extreme logits
/// (±80, ±400 for the collision loss's log-domain rows, ±1e4), forced group sizes from 1 (the tree
/// reductions on CUDA too) to 256, sums longer than one launch covers in a pass. Written once, bound
/// per GPU backend in OpenClBindings.cs and CudaBindings.cs.
/// </summary>
public abstract class CrossBackendCrossEntropyTestsBase : BackendTestBase
{
    [SkippableTheory]
    [MemberData(nameof(LaunchCases.RowEdges), MemberType = typeof(LaunchCases))]
    public void Collision_matches_cpu_and_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 2000 + (n * 7) + k);
        var y = TestData.Distributions(n, k, seed: 3000 + (n * 7) + k, sharpness: 2.0);
        AssertCollisionMatches(Backend, z, y, n, k, string.Empty);
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.RowEdges), MemberType = typeof(LaunchCases))]
    public void Shannon_matches_cpu_and_reference(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 4000 + (n * 7) + k);
        var y = TestData.Distributions(n, k, seed: 5000 + (n * 7) + k, sharpness: 2.0);
        AssertShannonMatches(Backend, z, y, n, k, string.Empty);
    }

    [SkippableTheory]
    [InlineData(3)]
    [InlineData(3000)]
    public void Extreme_logits_match_cpu_and_reference_without_NaN(int k)
    {
        var (z, y) = ExtremeRows(k);
        AssertCollisionMatches(Backend, z, y, ExtremeRowCount, k, string.Empty);
        AssertShannonMatches(Backend, z, y, ExtremeRowCount, k, string.Empty);
    }

    [SkippableTheory]
    [MemberData(nameof(LaunchCases.Overrides), MemberType = typeof(LaunchCases))]
    public void Every_group_size_and_grid_stride_give_the_same_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        string launch = $"group {groupSize}, max groups {maxGroups}";
        foreach (var (n, k) in new[] { (3, 1000), (7, 3), (257, 10), (2, 2) })
        {
            var z = TestData.Logits(n, k, seed: n + k);
            var y = TestData.Distributions(n, k, seed: n * k, sharpness: 2.0);
            AssertCollisionMatches(backend, z, y, n, k, $" ({n}, {k}) {launch}");
            AssertShannonMatches(backend, z, y, n, k, $" ({n}, {k}) {launch}");
        }

        var (zx, yx) = ExtremeRows(300);
        AssertCollisionMatches(backend, zx, yx, ExtremeRowCount, 300, " extreme " + launch);

        foreach (int length in new[] { 1, 1000, 70001 })
        {
            var values = TestData.Logits(1, length, seed: length, scale: 1000.0);
            using var vector = backend.FromArray(values, length);
            Approx.Scalar(values.Sum(v => (double)v), DeviceScan.Sum(vector), $"sum of {length}, {launch}", relative: 1e-10);
        }
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(4097)]
    [InlineData(65537)]
    [InlineData(5_000_011)]
    public void Sum_matches_float64_and_repeats_bitwise(int length)
    {
        var values = TestData.Logits(1, length, seed: length, scale: 1000.0);
        using var vector = Upload(values, length);
        using var cpuVector = Backend.Cpu.FromArray(values, length);
        double sum = DeviceScan.Sum(vector);
        Approx.Scalar(values.Sum(v => (double)v), sum, "sum", relative: 1e-10);
        Approx.Scalar(DeviceScan.Sum(cpuVector), sum, "sum vs cpu", relative: 1e-10);
        Assert.Equal(sum, DeviceScan.Sum(vector));
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        const int N = 65, K = 3000;
        using var logits = Upload(TestData.Logits(N, K, seed: 9), N, K);
        using var targets = Upload(TestData.Distributions(N, K, seed: 10, sharpness: 2.0), N, K);
        using var first = CollisionCrossEntropy.Compute(logits, targets);
        using var second = CollisionCrossEntropy.Compute(logits, targets);
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(first.Losses.ToArray(), second.Losses.ToArray());
        Assert.Equal(first.DLogits.ToArray(), second.DLogits.ToArray());
        Assert.Equal(first.DTargets.ToArray(), second.DTargets.ToArray());
        using var shannon = CrossEntropy.Compute(logits, targets);
        using var again = CrossEntropy.Compute(logits, targets);
        Assert.Equal(shannon.Loss, again.Loss);
        Assert.Equal(shannon.DLogits.ToArray(), again.DLogits.ToArray());
    }

    /// <summary>
    /// Caller-owned scratch: a loss call allocates its outputs and one workspace, whatever the shape: the
    /// scan that both row checks and the loss sum reuse (and, for a collision call whose targets need no
    /// gradient on a backend that writes one anyway, the N×K place it goes, in the same buffer).
    /// </summary>
    [SkippableFact]
    public void A_loss_call_allocates_its_outputs_and_one_workspace()
    {
        using var backend = OpenPrivateBackend();
        foreach (var (n, k) in new[] { (1, 2), (300, 40), (5000, 3) })
        {
            using var logits = backend.FromArray(TestData.Logits(n, k, seed: n + k), n, k);
            using var targets = backend.FromArray(TestData.Distributions(n, k, seed: n * k), n, k);
            using var losses = backend.Allocate(DType.Float32, n);
            using var dlogits = backend.Allocate(DType.Float32, n, k);
            using var dtargets = backend.Allocate(DType.Float32, n, k);
            long Allocations(Action call)
            {
                long before = backend.DeviceAllocations;
                call();
                return backend.DeviceAllocations - before;
            }

            // losses, dlogits (and dtargets) + the workspace.
            Assert.Equal(3, Allocations(() => CrossEntropy.Compute(logits, targets).Dispose()));
            Assert.Equal(4, Allocations(() => CollisionCrossEntropy.Compute(logits, targets).Dispose()));

            // The workspace alone.
            Assert.Equal(1, Allocations(() => CrossEntropy.ComputeInto(logits, targets, losses, dlogits)));
            Assert.Equal(1, Allocations(() => CollisionCrossEntropy.ComputeInto(logits, targets, losses, dlogits, dtargets)));
            Assert.Equal(1, Allocations(() => CollisionCrossEntropy.ComputeInto(logits, targets, losses, dlogits, null)));
        }
    }

    private const int ExtremeRowCount = 5;

    /// <summary>
    /// Rows that reach the kernels' edges: σ = 1 against targets on σ = e^-160 (saturated ∂L/∂y),
    /// targets only where σ ≈ e^-800 (below float64: the collision loss's log-domain row), a flat row,
    /// ±1e4, and targets on the classes a group's last work-item reads.
    /// </summary>
    private static (float[] Z, float[] Y) ExtremeRows(int k)
    {
        var z = new float[ExtremeRowCount * k];
        var y = new float[ExtremeRowCount * k];
        int low = (k + 1) / 2;
        for (int j = 0; j < k; j++)
        {
            z[j] = j == k - 1 ? 80f : -80f;
            y[j] = j < low ? 1f / low : 0f;

            z[k + j] = j % 2 == 0 ? 400f : -400f;
            y[k + j] = j % 2 == 1 ? 1f / (k / 2) : 0f;

            z[(2 * k) + j] = 7.5f;
            y[(2 * k) + j] = j == 1 ? 1f : 0f;

            z[(3 * k) + j] = j == k / 3 ? 1e4f : -1e4f;
            y[(3 * k) + j] = j == k / 3 || j == 0 ? 0.5f : 0f;

            z[(4 * k) + j] = (j % 7) * 3f;
            y[(4 * k) + j] = j >= k - 2 ? 0.5f : 0f;
        }

        return (z, y);
    }

    private static void AssertCollisionMatches(Backend backend, float[] z, float[] y, int n, int k, string label)
    {
        using var logits = backend.FromArray(z, n, k);
        using var targets = backend.FromArray(y, n, k);
        using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
        using var cpuTargets = Backend.Cpu.FromArray(y, n, k);
        using var gpu = CollisionCrossEntropy.Compute(logits, targets);
        using var cpu = CollisionCrossEntropy.Compute(cpuLogits, cpuTargets);
        Assert.Same(backend, gpu.Losses.Backend);
        var reference = CollisionCrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        var losses = gpu.Losses.ToArray();
        var dlogits = gpu.DLogits.ToArray();
        var dtargets = gpu.DTargets.ToArray();
        Assert.All(dtargets, v => Assert.True(float.IsFinite(v)));
        Approx.Scalar(cpu.Loss, gpu.Loss, "collision loss vs cpu" + label, relative: 2 * Approx.ScalarRelative);
        Approx.Scalar(reference.Loss, gpu.Loss, "collision loss" + label);
        Approx.Elementwise(Approx.Widen(cpu.Losses.ToArray()), losses, "collision losses vs cpu" + label, relative: 2 * Approx.ScalarRelative);
        Approx.Elementwise(reference.Losses, losses, "collision losses" + label, relative: Approx.ScalarRelative);
        CloseToCpu(cpu.DLogits.ToArray(), dlogits, "collision dlogits" + label);
        CloseToCpu(cpu.DTargets.ToArray(), dtargets, "collision dtargets" + label);
        Approx.Elementwise(reference.DLogits, dlogits, "collision dlogits" + label);
        Approx.Elementwise(Array.ConvertAll(reference.DTargets, v => Math.Clamp(v, -float.MaxValue, float.MaxValue)), dtargets, "collision dtargets" + label);
    }

    private static void AssertShannonMatches(Backend backend, float[] z, float[] y, int n, int k, string label)
    {
        using var logits = backend.FromArray(z, n, k);
        using var targets = backend.FromArray(y, n, k);
        using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
        using var cpuTargets = Backend.Cpu.FromArray(y, n, k);
        using var gpu = CrossEntropy.Compute(logits, targets);
        using var cpu = CrossEntropy.Compute(cpuLogits, cpuTargets);
        Assert.Same(backend, gpu.Losses.Backend);
        var reference = CrossEntropyReference.Evaluate(Float64.Widen(z), Float64.Widen(y), n, k);
        var losses = gpu.Losses.ToArray();
        var dlogits = gpu.DLogits.ToArray();
        Approx.Scalar(cpu.Loss, gpu.Loss, "shannon loss vs cpu" + label, relative: 2 * Approx.ScalarRelative);
        Approx.Scalar(reference.Loss, gpu.Loss, "shannon loss" + label);
        Approx.Elementwise(Approx.Widen(cpu.Losses.ToArray()), losses, "shannon losses vs cpu" + label, relative: 2 * Approx.ScalarRelative);
        Approx.Elementwise(reference.Losses, losses, "shannon losses" + label, relative: Approx.ScalarRelative);
        CloseToCpu(cpu.DLogits.ToArray(), dlogits, "shannon dlogits" + label);
        Approx.Elementwise(reference.DLogits, dlogits, "shannon dlogits" + label);
    }

    /// <summary>Both backends are within the contract of float64, so within twice it of each other.</summary>
    private static void CloseToCpu(float[] cpu, float[] gpu, string what) =>
        Approx.Elementwise(Approx.Widen(cpu), gpu, what + " vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);
}
