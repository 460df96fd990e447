using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// kernels/sinkhorn.cu against the CPU backend, pass by pass and through the SeLa and SwAV drivers, on
/// shapes that reach every code path: rows that do not fill a group, K = 2, K beyond the register cache
/// of a group (3073, 10000), one row, more rows than reduction groups, extreme logits, head views and row
/// chunks at offsets no sub-buffer alignment allows, forced group sizes from 1 (the tree reductions
/// on CUDA too, and columns past the cache) to 256 and few groups. Written once, bound per GPU backend
/// in OpenClBindings.cs and CudaBindings.cs.
/// </summary>
public abstract class CrossBackendSinkhornTestsBase : BackendTestBase
{
    /// <summary>
    /// Relative tolerance of the float64 pass outputs: the CPU takes float32 exponentials (within 2 units
    /// in the last place) of float64 arguments, the GPU kernels float64 ones, so sums of exponentials
    /// agree to a few 1e-8 and their logarithms to a few 1e-9 absolute.
    /// </summary>
    private const double PassTolerance = 1e-6;

    /// <summary>Absolute floor of the float64 comparisons, for values near 0 (logarithms of sums near 1).</summary>
    private const double PassFloor = 1e-7;

    /// <summary>
    /// Float32 outputs: codes e^d whose argument the CPU rounds to float32 before its float32 exp, so
    /// e^d moves by up to 6e-8·|d| (|d| ≤ 88) plus two units in the last place; a tenth of the contract.
    /// </summary>
    private const double SingleTolerance = 1e-5;

    public static TheoryData<int, int> EdgeShapes() => new()
    {
        { 1, 2 }, { 7, 2 }, { 7, 3 }, { 33, 10 }, { 300, 7 }, { 5, 255 }, { 5, 257 }, { 3, 3000 }, { 2, 3073 },
        { 2, 10000 }, { 40, 1000 },
    };

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Row_and_column_log_sum_exp_match_cpu(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 100 + n + k);
        var columnShift = Wave(k, 40);
        var rowShift = Wave(n + 2, 900);
        RunPair(z, n, k, (b, m) =>
        {
            using var shift = Vector(b, columnShift);
            using var rows = Vector(b, rowShift);
            using var plain = Vector(b, new double[n + 2]);
            using var shifted = Vector(b, new double[n + 2]);
            using var columns = Vector(b, Wave(k, 3));
            using var accumulated = Vector(b, Wave(k, 3));
            using var maxima = Vector(b, new double[n + 2]);
            using var logSums = Vector(b, new double[n + 2]);
            using var fromMaxima = Vector(b, Wave(k, 3));
            using var scratch = b.Allocate(DType.Float64, b.ReductionScratchElements(k));
            b.Kernels.SinkhornRowLogSumExp(m, 2, 25, null, 0.5, plain, null);
            b.Kernels.SinkhornRowLogSumExp(m, 1, 1 / 0.05, shift, -1.5, shifted, null);
            b.Kernels.SinkhornRowLogSumExp(m, 2, 1, null, 0.5, logSums, maxima);
            b.Kernels.SinkhornColumnLogSumExp(m, 2, 25, null, rows, -0.25, columns, accumulate: false, scratch);
            b.Kernels.SinkhornColumnLogSumExp(m, 2, 25, null, rows, -0.25, accumulated, accumulate: true, scratch);
            b.Kernels.SinkhornColumnLogSumExp(m, 2, 25, maxima, rows, -0.25, fromMaxima, accumulate: true, scratch);
            return
            [
                new("row lse", Read(plain)), new("shifted row lse", Read(shifted)),
                new("row maxima", Read(maxima)), new("row log-sums", Read(logSums)),
                new("column lse", Read(columns)), new("accumulated column lse", Read(accumulated)),
                new("column lse from row maxima", Read(fromMaxima)),
            ];
        });
    }

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Sela_pass_and_finalize_match_cpu(int n, int k)
    {
        var z = TestData.Logits(n, k, seed: 200 + n + k, scale: 4);
        SelaPassesMatch(z, n, k);
    }

    [SkippableFact]
    public void Extreme_logits_match_cpu_without_NaN()
    {
        const int n = 37, k = 3001;
        var random = new Random(5);
        var z = new float[n * k];
        for (int x = 0; x < z.Length; x++)
        {
            z[x] = random.Next(3) switch { 0 => -80f, 1 => 80f, _ => (float)(random.NextDouble() * 20) - 10 };
        }

        SelaPassesMatch(z, n, k);
        var gpu = SelaOnBoth(z, 1, n, k, out var cpu);
        using (gpu)
        using (cpu)
        {
            Assert.All(gpu.Codes!.ToArray(), v => Assert.True(float.IsFinite(v)));
            SelaResultsMatch(cpu, gpu, "extreme");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EdgeShapes))]
    public void Exp_shifted_matches_cpu(int n, int k)
    {
        var s = TestData.Logits(n, k, seed: 300 + n + k, scale: 1).Select(v => (float)Math.Tanh(v)).ToArray();
        var columnShift = Wave(k, 10);
        var rowShift = Wave(n, 15);
        using var gpuScores = Upload(s, n, k);
        using var cpuScores = Backend.Cpu.FromArray(s, n, k);
        foreach (var withColumns in new[] { false, true })
        {
            var gpu = ExpShifted(Backend, gpuScores, withColumns ? columnShift : null, rowShift);
            var cpu = ExpShifted(Backend.Cpu, cpuScores, withColumns ? columnShift : null, rowShift);
            CloseToCpu(cpu, gpu, $"exp shifted (column shift {withColumns})");
        }
    }

    [SkippableTheory]
    [InlineData(1, 1, 2)]
    [InlineData(1, 7, 3)]
    [InlineData(3, 7, 3)]
    [InlineData(2, 33, 10)]
    [InlineData(1, 300, 7)]
    [InlineData(2, 3, 3000)]
    [InlineData(1, 2, 10000)]
    public void SeLa_matches_cpu_head_by_head(int heads, int n, int k)
    {
        var z = new float[heads * n * k];
        for (int h = 0; h < heads; h++)
        {
            TestData.Logits(n, k, seed: 400 + h + n + k, scale: 1.0 + (2 * h)).CopyTo(z, h * n * k);
        }

        var gpu = SelaOnBoth(z, heads, n, k, out var cpu);
        using (gpu)
        using (cpu)
        {
            SelaResultsMatch(cpu, gpu, $"{heads}×{n}×{k}");
        }
    }

    [SkippableTheory]
    [InlineData(1, 2)]
    [InlineData(7, 3)]
    [InlineData(64, 30)]
    [InlineData(5, 3000)]
    [InlineData(2, 10000)]
    public void Swav_matches_cpu(int b, int k)
    {
        var s = TestData.Logits(b, k, seed: b + k, scale: 1.0).Select(v => (float)Math.Tanh(v)).ToArray();
        using var scores = Upload(s, b, k);
        using var cpuScores = Backend.Cpu.FromArray(s, b, k);
        foreach (var options in new[] { new SwavOptions(Iterations: 0), new SwavOptions(), new SwavOptions(1e-3, 2) })
        {
            using var codes = Sinkhorn.Swav(scores, options);
            using var cpuCodes = Sinkhorn.Swav(cpuScores, options);
            Assert.Same(Backend, codes.Backend);
            CloseToCpu(cpuCodes.ToArray(), codes.ToArray(), $"codes ε={options.Epsilon} n={options.Iterations}");
        }
    }

    [SkippableTheory]
    [InlineData(1, null)]
    [InlineData(2, null)]
    [InlineData(16, 3L)]
    [InlineData(32, null)]
    [InlineData(256, 1L)]
    [InlineData(null, 2L)]
    public void Every_group_size_and_group_count_give_the_same_results(int? groupSize, long? maxGroups)
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        foreach (var (n, k) in new[] { (7, 3), (33, 40), (5, 1000) })
        {
            var z = TestData.Logits(n, k, seed: n * k, scale: 2);
            using var logits = backend.FromArray(z, n, k);
            using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
            var options = new SinkhornOptions(ComputeCodes: true, CheckEvery: 3);
            using var gpu = Sinkhorn.SeLa(logits, options);
            using var cpu = Sinkhorn.SeLa(cpuLogits, options);
            string shape = $"({n}, {k}) group {groupSize}, max groups {maxGroups}";
            SelaResultsMatch(cpu, gpu, shape);
            using var codes = Sinkhorn.Swav(logits);
            using var cpuCodes = Sinkhorn.Swav(cpuLogits);
            CloseToCpu(cpuCodes.ToArray(), codes.ToArray(), "swav " + shape);
        }
    }

    /// <summary>
    /// Caller-owned scratch: a SeLa solve or a SwAV step allocates its device memory once per call, so 40
    /// iterations allocate exactly as often as 3 (no launcher allocates, and no free drains the stream
    /// inside the loop). The error is measured every iteration and the log-domain SwAV path is taken too.
    /// </summary>
    [SkippableFact]
    public void No_device_allocation_happens_inside_an_iteration_loop()
    {
        var z = TestData.Logits(300, 40, seed: 12);
        using var backend = OpenPrivateBackend();
        using var logits = backend.FromArray(z, 300, 40);
        var loops = new SolverLoops(logits, () => backend.DeviceAllocations);
        loops.Sela(new SinkhornOptions(Tolerance: 0, CheckEvery: 1, MaxIterations: 1, ComputeCodes: true));
        Assert.Equal(
            loops.Sela(new SinkhornOptions(Tolerance: 0, CheckEvery: 1, MaxIterations: 3, ComputeCodes: true)),
            loops.Sela(new SinkhornOptions(Tolerance: 0, CheckEvery: 1, MaxIterations: 40, ComputeCodes: true)));
        Assert.Equal(loops.Swav(new SwavOptions(0.05, 1)), loops.Swav(new SwavOptions(0.05, 20)));
        Assert.Equal(loops.Swav(new SwavOptions(1e-3, 1)), loops.Swav(new SwavOptions(1e-3, 20)));
        Assert.True(backend.DeviceAllocations > 0, "the backend counts its allocations");
    }

    /// <summary>
    /// No stream drain on a hot path: between error checks a SeLa iteration reads nothing back to the
    /// host (the update of r runs on the device), and SwAV's linear loop reads nothing at all, so more
    /// iterations mean no more device-to-host copies.
    /// </summary>
    [SkippableFact]
    public void Iterations_between_checks_read_nothing_back_to_the_host()
    {
        var z = TestData.Logits(300, 40, seed: 13);
        using var backend = OpenPrivateBackend();
        using var logits = backend.FromArray(z, 300, 40);
        var loops = new SolverLoops(logits, () => backend.HostReads);
        Assert.Equal(
            loops.Sela(new SinkhornOptions(Tolerance: 0, CheckEvery: 100, MaxIterations: 2)),
            loops.Sela(new SinkhornOptions(Tolerance: 0, CheckEvery: 100, MaxIterations: 60)));
        Assert.Equal(loops.Swav(new SwavOptions(0.05, 1)), loops.Swav(new SwavOptions(0.05, 20)));
        Assert.True(backend.HostReads > 0, "the backend counts its reads");
    }

    /// <summary>
    /// A column sum the device's update of r does not trust (an underflow, in real data) between two
    /// error checks is only flagged there; the solve goes back to the last verified state and redoes
    /// those iterations checking each update, taking r from the log domain where the flag is raised. Well
    /// posed float64 data almost never underflows, so the test raises the trust threshold near the mean
    /// column sum N/K = 7.5 to take that path in many early iterations, checked or not; the result is the
    /// CPU's (which checks every update) and the plain solve's, whatever CheckEvery is.
    /// </summary>
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(25)]
    public void An_untrusted_sum_between_checks_is_redone_in_the_log_domain(int checkEvery)
    {
        const int n = 300, k = 40;
        var z = TestData.Logits(n, k, seed: 14, scale: 0.2);
        using var logits = Upload(z, n, k);
        using var cpuLogits = Backend.Cpu.FromArray(z, n, k);
        var plainOptions = new SinkhornOptions(Tolerance: 0, CheckEvery: checkEvery, MaxIterations: 30, ComputeCodes: true);
        var options = plainOptions with { SmallestTrustedColumnSum = 7.4 };
        var gpuPhases = new PhaseLog();
        var cpuPhases = new PhaseLog();
        using var gpu = Sinkhorn.SeLa(SinkhornProblem.FromLogits(logits), options, gpuPhases);
        using var cpu = Sinkhorn.SeLa(SinkhornProblem.FromLogits(cpuLogits), options, cpuPhases);
        using var plain = Sinkhorn.SeLa(logits, plainOptions);
        Assert.Contains(SinkhornPhase.Recovery, gpuPhases.Seen);
        Assert.Contains(SinkhornPhase.Recovery, cpuPhases.Seen);
        Assert.Equal([30], gpu.Iterations);

        // A flag is seen at the check after the pass that followed the update: the iterations since the
        // last verified state are then done again (one report each time an iteration completes).
        int completed = gpuPhases.Seen.Count(phase => phase == SinkhornPhase.Iteration);
        Assert.True(completed > 30, $"{completed} iterations reported");
        SelaResultsMatch(cpu, gpu, $"untrusted sums, check every {checkEvery}");
        SelaResultsMatch(plain, gpu, $"untrusted sums against the plain solve, check every {checkEvery}");
    }

    [SkippableFact]
    public void Device_updates_of_r_and_column_weights_match_cpu()
    {
        double[] sums = [1.0, 0.25, 3e9, 1e-289, 1e-291, 0, double.PositiveInfinity, double.NaN, 5e-324, 7.5];
        double[] trusted = [1.0, 0.25, 3e9, 1e-289, 2.0];
        var z = TestData.Logits(2, 3, seed: 1);
        RunPair(z, 2, 3, (b, m) =>
        {
            using var goodSums = Vector(b, trusted);
            using var goodR = Vector(b, Wave(trusted.Length, 3));
            using var goodStatus = Vector(b, [0]);
            b.Kernels.SinkhornSelaLogR(goodSums, Math.Log(300.0 / 40), 1e-290, goodR, goodStatus);

            using var mixedSums = Vector(b, sums);
            using var mixedR = Vector(b, Wave(sums.Length, 3));
            using var mixedStatus = Vector(b, [0]);
            b.Kernels.SinkhornSelaLogR(mixedSums, -0.5, 1e-290, mixedR, mixedStatus);

            using var strictR = Vector(b, Wave(trusted.Length, 3));
            using var strictStatus = Vector(b, [0]);
            b.Kernels.SinkhornSelaLogR(goodSums, 0.75, 0.5, strictR, strictStatus);

            using var weights = Vector(b, new double[trusted.Length]);
            b.Kernels.SwavColumnWeights(goodSums, weights);
            return
            [
                new("log r", Read(goodR)), new("status", Read(goodStatus)),
                new("log r with untrusted sums", Read(mixedR)), new("raised status", Read(mixedStatus)),
                new("log r with sums below 0.5 untrusted", Read(strictR)), new("status of the strict threshold", Read(strictStatus)),
                new("column weights", Read(weights)),
            ];
        });

        // The flag is raised by the untrusted sums, and only there is r left as it was.
        using var cpuSums = Vector(Backend.Cpu, sums);
        using var cpuR = Vector(Backend.Cpu, Wave(sums.Length, 3));
        using var cpuStatus = Vector(Backend.Cpu, [0]);
        Backend.Cpu.Kernels.SinkhornSelaLogR(cpuSums, -0.5, 1e-290, cpuR, cpuStatus);
        Assert.Equal(1, Read(cpuStatus)[0]);
        var wave = Wave(sums.Length, 3);
        var updated = Read(cpuR);
        for (int j = 0; j < sums.Length; j++)
        {
            bool good = sums[j] >= 1e-290 && double.IsFinite(sums[j]);
            Assert.Equal(good ? wave[j] - 0.5 - Math.Log(sums[j]) : wave[j], updated[j]);
        }
    }

    [SkippableFact]
    public void Results_are_bitwise_reproducible()
    {
        var z = TestData.Logits(300, 50, seed: 9);
        using var logits = Upload(z, 300, 50);
        var options = new SinkhornOptions(ComputeCodes: true);
        using var first = Sinkhorn.SeLa(logits, options);
        using var second = Sinkhorn.SeLa(logits, options);
        Assert.Equal(first.Iterations, second.Iterations);
        Assert.Equal(first.Labels, second.Labels);
        Assert.Equal(first.LogR.ToArray(), second.LogR.ToArray());
        Assert.Equal(first.LogC.ToArray(), second.LogC.ToArray());
        Assert.Equal(first.Codes!.ToArray(), second.Codes!.ToArray());
    }

    /// <summary>
    /// Two SeLa passes (a fresh one, then one accumulating into the same column sums from a chunk that
    /// starts at row 1) and the finalisation, on both backends.
    /// </summary>
    private void SelaPassesMatch(float[] z, int n, int k)
    {
        var logR = Wave(k, 30);
        var cpuSums = new double[2];
        var gpuSums = new double[2];
        var errors = new[] { cpuSums, gpuSums };
        int call = 0;
        RunPair(z, n, k, (b, m) =>
        {
            var measured = errors[call++];
            using var r = Vector(b, logR);
            using var rowLse = Vector(b, new double[n + 1]);
            using var rowMax = Vector(b, new double[n + 1]);
            b.Kernels.SinkhornRowLogSumExp(m, 1, 1, null, 0, rowLse, rowMax);
            var lse = Read(rowLse).Select(v => v * 25).ToArray();
            Write(rowLse, lse);
            using var state = Vector(b, lse);
            using var sums = Vector(b, new double[k]);
            using var scratch = b.Allocate(DType.Float64, b.ReductionScratchElements(k));
            measured[0] = b.Kernels.SinkhornSelaPass(m, 1, 25, rowMax, r, state, sums, accumulate: false, measureError: true, scratch);
            var firstState = Read(state);
            var firstSums = Read(sums);
            measured[1] = b.Kernels.SinkhornSelaPass(m, 1, 25, rowMax, r, state, sums, accumulate: true, measureError: true, scratch);
            Assert.Equal(0, b.Kernels.SinkhornSelaPass(m, 1, 25, rowMax, r, state, sums, accumulate: true, measureError: false, scratch));

            using var logC = b.Allocate(DType.Float32, n + 1);
            using var labels = b.Allocate(DType.Int64, n + 1);
            using var codes = b.Allocate(DType.Float32, n, k);
            b.Kernels.SinkhornSelaFinalize(m, 1, 25, rowMax, r, rowLse, state, Math.Log(n), logC, labels, codes);
            using var logCOnly = b.Allocate(DType.Float32, n + 1);
            using var labelsOnly = b.Allocate(DType.Int64, n + 1);
            b.Kernels.SinkhornSelaFinalize(m, 1, 25, rowMax, r, rowLse, state, Math.Log(n), logCOnly, labelsOnly, null);
            Assert.Equal(logC.ToArray()[1..], logCOnly.ToArray()[1..]);
            Assert.Equal(ReadLongs(labels)[1..], ReadLongs(labelsOnly)[1..]);
            return
            [
                new("state", firstState[1..]), new("column sums", firstSums),
                new("second state", Read(state)[1..]), new("accumulated column sums", Read(sums)),
                new("labels", ReadLongs(labels)[1..].Select(v => (double)v).ToArray()),
                new("logc", Approx.Widen(logC.ToArray()[1..]), Single: true),
                new("codes", Approx.Widen(codes.ToArray()), Single: true),
            ];
        });
        for (int x = 0; x < 2; x++)
        {
            Assert.True(Math.Abs(cpuSums[x] - gpuSums[x]) <= (PassTolerance * Math.Abs(cpuSums[x])) + PassFloor, $"error {x}: {gpuSums[x]:R} vs {cpuSums[x]:R}");
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a CPU matrix and on the same data uploaded to the GPU backend as
    /// a view that starts 5 floats into a larger buffer (no sub-buffer alignment allows that), and
    /// compares the vectors it returns: float64 ones to <see cref="PassTolerance"/>, float32 ones to a few
    /// units in the last place of the float32 arguments (<see cref="SingleTolerance"/>).
    /// </summary>
    private void RunPair(float[] z, int n, int k, Func<Backend, Tensor, Output[]> body)
    {
        const int Lead = 5;
        using var cpuMatrix = Backend.Cpu.FromArray(z, n, k);
        var padded = new float[Lead + z.Length];
        z.CopyTo(padded, Lead);
        using var owner = Upload(padded, padded.Length);
        using var matrix = new Tensor(Backend, owner.Buffer, DType.Float32, [n, k], Lead * sizeof(float), ownsBuffer: false);
        var cpu = body(Backend.Cpu, cpuMatrix);
        var gpu = body(Backend, matrix);
        Assert.Equal(cpu.Length, gpu.Length);
        for (int v = 0; v < cpu.Length; v++)
        {
            var (expected, actual) = (cpu[v].Values, gpu[v].Values);
            Assert.Equal(expected.Length, actual.Length);
            for (int x = 0; x < expected.Length; x++)
            {
                double allowed = cpu[v].Single ? (SingleTolerance * Math.Abs(expected[x])) + 1e-37 : (PassTolerance * Math.Abs(expected[x])) + PassFloor;
                Assert.True(Math.Abs(expected[x] - actual[x]) <= allowed, $"{cpu[v].Name} [{x}] ({n}×{k}): {actual[x]:R} vs cpu {expected[x]:R}");
            }
        }
    }

    private static float[] ExpShifted(Backend backend, Tensor scores, double[]? columnShift, double[] rowShift)
    {
        using var columns = columnShift is null ? null : Vector(backend, columnShift);
        using var rows = Vector(backend, rowShift);
        using var output = backend.Allocate(DType.Float32, scores.Rows, scores.Columns);
        backend.Kernels.SinkhornExpShifted(scores, 20, columns, rows, 3.5, output);
        return output.ToArray();
    }

    private SinkhornResult SelaOnBoth(float[] z, int heads, int n, int k, out SinkhornResult cpu)
    {
        long[] shape = heads == 1 ? [n, k] : [heads, n, k];
        using var logits = Upload(z, shape);
        using var cpuLogits = Backend.Cpu.FromArray(z, shape);
        var options = new SinkhornOptions(ComputeCodes: true);
        cpu = Sinkhorn.SeLa(cpuLogits, options);
        var gpu = Sinkhorn.SeLa(logits, options);
        Assert.Same(Backend, gpu.LogR.Backend);
        return gpu;
    }

    private static void SelaResultsMatch(SinkhornResult cpu, SinkhornResult gpu, string what)
    {
        Assert.Equal(cpu.Iterations, gpu.Iterations);
        var codes = cpu.Codes!.ToArray();
        CloseToCpu(cpu.LogR.ToArray(), gpu.LogR.ToArray(), "logr " + what);
        CloseToCpu(cpu.LogC.ToArray(), gpu.LogC.ToArray(), "logc " + what);
        CloseToCpu(codes, gpu.Codes!.ToArray(), "codes " + what);

        // With N < K the plan spreads each row over many columns whose λ·z + log r agree to rounding, so
        // only rows whose top code clearly leads must carry the same label.
        int k = checked((int)cpu.Codes.Columns);
        for (int i = 0; i < cpu.Labels.Length; i++)
        {
            var row = codes.AsSpan(i * k, k);
            float top = 0, second = 0;
            foreach (var q in row)
            {
                (top, second) = q > top ? (q, top) : (top, Math.Max(second, q));
            }

            if (top - second > 1e-5 * top)
            {
                Assert.True(cpu.Labels[i] == gpu.Labels[i], $"label of row {i} ({what}): {gpu.Labels[i]}, cpu {cpu.Labels[i]}");
            }
        }
    }

    /// <summary>Both backends are within the contract of float64, so within twice it of each other.</summary>
    private static void CloseToCpu(float[] cpu, float[] gpu, string what) =>
        Approx.Elementwise(Approx.Widen(cpu), gpu, what + " vs cpu", 2 * Approx.Relative, 2 * Approx.Absolute);

    /// <summary>A smooth, sign-changing vector of amplitude <paramref name="amplitude"/>.</summary>
    private static double[] Wave(int length, double amplitude) =>
        Enumerable.Range(0, length).Select(j => amplitude * Math.Sin((j * 0.37) + 0.1)).ToArray();

    private static Tensor Vector(Backend backend, double[] values)
    {
        var tensor = backend.Allocate(DType.Float64, values.Length);
        Write(tensor, values);
        return tensor;
    }

    private static double[] Read(Tensor vector)
    {
        var values = new double[vector.Length];
        vector.Backend.Download(vector.Buffer, vector.ByteOffset, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static long[] ReadLongs(Tensor vector)
    {
        var values = new long[vector.Length];
        vector.Backend.Download(vector.Buffer, vector.ByteOffset, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static void Write(Tensor vector, double[] values) =>
        vector.Backend.Upload(vector.Buffer, vector.ByteOffset, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>How much a backend counter (allocations, host reads) grows during one SeLa solve or SwAV step.</summary>
    private sealed class SolverLoops(Tensor logits, Func<long> counter)
    {
        public long Sela(SinkhornOptions options)
        {
            long before = counter();
            using var result = Sinkhorn.SeLa(logits, options);
            return counter() - before;
        }

        public long Swav(SwavOptions options)
        {
            long before = counter();
            using var codes = Sinkhorn.Swav(logits, options);
            return counter() - before;
        }
    }

    /// <summary>The phases a solve reported, in order (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class PhaseLog : IProgress<SinkhornProgress>
    {
        public List<SinkhornPhase> Seen { get; } = [];

        public void Report(SinkhornProgress value) => Seen.Add(value.Phase);
    }

    /// <summary>One vector a pass produced; <paramref name="Single"/> when it was stored as float32.</summary>
    private readonly record struct Output(string Name, double[] Values, bool Single = false);
}
