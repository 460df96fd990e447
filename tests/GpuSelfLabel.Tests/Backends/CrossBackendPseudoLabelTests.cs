using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/em.cu (ops.md §4) against the CPU backend and the float64 reference, on shapes that reach
/// every code path: one row, rows that do not fill a group, K = 2, several rows per group (small K),
/// column sums in registers and, beyond 8 columns per work-item (K = 3000, 10000), in global scratch,
/// forced group sizes from 1 to 256 and fewer groups than the launcher would choose, extreme logits.
/// Written once, bound per GPU backend in OpenClBindings.cs and CudaBindings.cs.
/// </summary>
public abstract class CrossBackendPseudoLabelTestsBase : BackendTestBase
{
    /// <summary>(N, K) pairs around every boundary of the row-block launch.</summary>
    public static TheoryData<int, int> EdgeShapes() => new()
    {
        { 1, 2 }, { 7, 2 }, { 257, 3 }, { 33, 10 }, { 2, 31 }, { 5, 257 }, { 3, 2049 }, { 3, 3000 }, { 2, 10000 }, { 1000, 33 },
    };

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Em_matches_cpu_and_reference(int n, int k)
    {
        var p = Probs(n, k, seed: 500 + n + k);
        var options = new PseudoLabelOptions(Lambda: 1.5, MaxIterations: 12);
        using var probs = Upload(p, n, k);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        using var result = PseudoLabels.Em(probs, options);
        using var cpu = PseudoLabels.Em(cpuProbs, options);
        Assert.Same(Backend, result.Labels.Backend);
        AssertSameRun(cpu, result, $"({n}, {k})");

        var reference = PseudoLabelReference.Em(Float64.Widen(p), n, k, lambda: 1.5, tol: 1e-6, maxIters: 12);
        Assert.Equal(reference.Iterations, result.Iterations);
        Approx.Elementwise(reference.Labels, result.Labels.ToArray(), "labels vs reference");
        Approx.Scalar(reference.Objective[^1], result.Objective[^1], "objective vs reference");
    }

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Objective_of_float32_labels_matches_cpu(int n, int k)
    {
        var p = Probs(n, k, seed: 600 + n + k);
        var y = TestData.Distributions(n, k, seed: 700 + n + k);
        using var probs = Upload(p, n, k);
        using var labels = Upload(y, n, k);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        using var cpuLabels = Backend.Cpu.FromArray(y, n, k);
        foreach (var lambda in new[] { 0.0, 2.0 })
        {
            Approx.Scalar(PseudoLabels.Objective(cpuProbs, cpuLabels, lambda), PseudoLabels.Objective(probs, labels, lambda), $"F λ={lambda} ({n}, {k})");
        }
    }

    /// <summary>
    /// No stream drain on a hot path: the EM driver's books (next weights, F, the stopping rule) are kept
    /// on the device, and it reads them back once per EmSolver.ReadEvery iterations, so 1 and 16
    /// iterations read the same, and a 17th costs one more read; a solve that converges early stops
    /// at the same iteration and gives the same labels as one read after every step would.
    /// </summary>
    [SkippableFact]
    public void Em_reads_back_once_per_batch_of_iterations()
    {
        const int n = 300, k = 40;
        var p = Probs(n, k, seed: 44);
        using var backend = OpenPrivateBackend();
        using var probs = backend.FromArray(p, n, k);
        long EmReads(int iterations) => EmGrowth(probs, iterations, () => backend.HostReads);

        Assert.Equal(EmReads(1), EmReads(GpuSelfLabel.Solvers.EmSolver.ReadEvery));
        Assert.Equal(EmReads(1) + 1, EmReads(GpuSelfLabel.Solvers.EmSolver.ReadEvery + 1));

        // Converging inside a batch: the later steps of the batch do nothing.
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        var options = new PseudoLabelOptions(Lambda: 1.0, Tolerance: 1e-3, MaxIterations: 1000);
        using var gpu = PseudoLabels.Em(probs, options);
        using var cpu = PseudoLabels.Em(cpuProbs, options);
        Assert.True(cpu.Converged);
        Assert.True(cpu.Iterations % GpuSelfLabel.Solvers.EmSolver.ReadEvery != 0, "the test should stop inside a batch");
        AssertSameRun(cpu, gpu, "converging inside a batch");
    }

    /// <summary>
    /// Caller-owned scratch: an EM solve allocates its device memory once (iterates, K-vectors, one
    /// workspace), so 40 iterations allocate exactly as often as 3; a step that allocated its partials
    /// made that grow by two per iteration. The count itself is fixed too, and so is the objective's.
    /// </summary>
    [SkippableFact]
    public void No_device_allocation_happens_inside_the_em_loop()
    {
        const int n = 300, k = 40;
        var p = Probs(n, k, seed: 43);
        using var backend = OpenPrivateBackend();
        using var probs = backend.FromArray(p, n, k);
        long EmAllocations(int iterations) => EmGrowth(probs, iterations, () => backend.DeviceAllocations);

        EmAllocations(1);
        Assert.Equal(EmAllocations(3), EmAllocations(40));

        // The input check's scan; the solve's two iterates, column sums, weights, prior, track and
        // workspace; the labels.
        Assert.Equal(9, EmAllocations(40));
        Assert.True(backend.DeviceAllocations > 0, "the backend counts its allocations");

        // F(Y): one workspace for both row checks and the moments pass, and the column sums.
        long before = backend.DeviceAllocations;
        PseudoLabels.Objective(probs, probs, 1.0);
        Assert.Equal(2, backend.DeviceAllocations - before);
    }

    [SkippableFact]
    public void Converged_run_takes_the_cpu_iterations()
    {
        const int n = 33, k = 10;
        var p = Probs(n, k, seed: 41);
        using var probs = Upload(p, n, k);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        var options = new PseudoLabelOptions(Lambda: 1, Tolerance: 1e-5, MaxIterations: 1000);
        using var result = PseudoLabels.Em(probs, options);
        using var cpu = PseudoLabels.Em(cpuProbs, options);
        Assert.True(cpu.Converged);
        AssertSameRun(cpu, result, "converged");
    }

    [SkippableFact]
    public void Extreme_logits_and_zero_predictions_give_no_NaN()
    {
        const int n = 6, k = 3000;
        var z = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                z[(i * k) + j] = ((i + j) % 7 == 0) ? 80f : -80f;
            }
        }

        // float32 softmax of ±80 underflows to exact zeros; a start with the same zeros keeps them.
        var p = Float64.Softmax(Float64.Widen(z), n, k).Select(v => (float)v).ToArray();
        using var probs = Upload(p, n, k);
        using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
        foreach (var lambda in new[] { 0.0, 1.0 })
        {
            var options = new PseudoLabelOptions(Lambda: lambda, MaxIterations: 8);
            using var result = PseudoLabels.Em(probs, options);
            using var cpu = PseudoLabels.Em(cpuProbs, options);
            Assert.All(result.Labels.ToArray(), v => Assert.True(float.IsFinite(v) && v >= 0));
            Assert.All(result.Objective, v => Assert.False(double.IsNaN(v)));
            AssertSameRun(cpu, result, $"extreme λ={lambda}");
        }
    }

    [SkippableTheory]
    [InlineData(1, null)]
    [InlineData(2, null)]
    [InlineData(16, 7L)]
    [InlineData(32, null)]
    [InlineData(64, 5L)]
    [InlineData(256, null)]
    [InlineData(null, 3L)]
    [InlineData(null, 1L)]
    public void Every_group_size_and_group_count_give_the_cpu_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        foreach (var (n, k) in new[] { (37, 3), (9, 17), (5, 600), (4, 3000) })
        {
            var p = Probs(n, k, seed: n + k);
            var start = TestData.Distributions(n, k, seed: n * k);
            using var probs = backend.FromArray(p, n, k);
            using var init = backend.FromArray(start, n, k);
            using var cpuProbs = Backend.Cpu.FromArray(p, n, k);
            using var cpuInit = Backend.Cpu.FromArray(start, n, k);
            var options = new PseudoLabelOptions(Lambda: 1, MaxIterations: 5);
            using var result = PseudoLabels.Em(probs, options with { Init = init });
            using var cpu = PseudoLabels.Em(cpuProbs, options with { Init = cpuInit });
            string shape = $"({n}, {k}) group {groupSize}, max groups {maxGroups}";
            AssertSameRun(cpu, result, shape);
            Approx.Scalar(PseudoLabels.Objective(cpuProbs, cpuInit, 1), PseudoLabels.Objective(probs, init, 1), "F " + shape);
        }
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        var p = Probs(300, 3000, seed: 9);
        using var probs = Upload(p, 300, 3000);
        var options = new PseudoLabelOptions(MaxIterations: 3);
        using var first = PseudoLabels.Em(probs, options);
        using var second = PseudoLabels.Em(probs, options);
        Assert.Equal(first.Labels.ToArray(), second.Labels.ToArray());
        Assert.Equal(first.Objective, second.Objective);
    }

    [SkippableFact]
    public void Convert_copies_and_converts_every_element()
    {
        const int n = 7, k = 301;
        var values = TestData.Distributions(n, k, seed: 5);
        var kernels = Backend.Kernels;
        using var source = Upload(values, n, k);
        using var wide = Backend.Allocate(DType.Float64, n, k);
        using var wideCopy = Backend.Allocate(DType.Float64, n, k);
        using var narrow = Backend.Allocate(DType.Float32, n, k);
        using var copy = Backend.Allocate(DType.Float32, n, k);
        kernels.PseudoLabelConvert(source, wide);
        kernels.PseudoLabelConvert(wide, wideCopy);
        kernels.PseudoLabelConvert(wideCopy, narrow);
        kernels.PseudoLabelConvert(narrow, copy);
        Assert.Equal(values, copy.ToArray());
        Assert.Equal(DType.Float64, kernels.PseudoLabelIterateType);
    }

    /// <summary>σ = softmax of seeded logits, rounded to float32 as a caller would hold it.</summary>
    private static float[] Probs(int n, int k, int seed) =>
        Float64.Softmax(Float64.Widen(TestData.Logits(n, k, seed)), n, k).Select(v => (float)v).ToArray();

    /// <summary>Same iterations and convergence, labels within twice the contract, every objective within it.</summary>
    private static void AssertSameRun(PseudoLabelResult cpu, PseudoLabelResult gpu, string what)
    {
        Assert.Equal(cpu.Iterations, gpu.Iterations);
        Assert.Equal(cpu.Converged, gpu.Converged);
        Approx.Elementwise(Approx.Widen(cpu.Labels.ToArray()), gpu.Labels.ToArray(), what + " labels vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);
        for (int t = 0; t < cpu.Iterations; t++)
        {
            if (double.IsPositiveInfinity(cpu.Objective[t]))
            {
                Assert.True(double.IsPositiveInfinity(gpu.Objective[t]), $"{what}: objective[{t}] = {gpu.Objective[t]}, cpu +∞");
            }
            else
            {
                Approx.Scalar(cpu.Objective[t], gpu.Objective[t], $"{what}: objective[{t}] vs cpu");
            }
        }
    }

    /// <summary>How much a backend counter (allocations, host reads) grows during an EM solve of exactly <paramref name="iterations"/> steps.</summary>
    private static long EmGrowth(Tensor probs, int iterations, Func<long> counter)
    {
        long before = counter();
        using var result = PseudoLabels.Em(probs, new PseudoLabelOptions(Tolerance: 0, MaxIterations: iterations));
        Assert.Equal(iterations, result.Iterations);
        return counter() - before;
    }
}
