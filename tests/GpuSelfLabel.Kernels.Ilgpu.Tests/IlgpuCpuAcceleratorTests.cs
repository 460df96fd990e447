using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cpu;
using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Kernels.Ilgpu.Tests;

/// <summary>
/// The C# kernels on ILGPU's CPU accelerator, launched by the CUDA backend's own launchers
/// (<see cref="IlgpuCpuKernels"/>), against the CPU backend on the same inputs, within ops.md's contract
/// (elementwise |got − ref| ≤ 1e-4·|ref| + 1e-6, losses relative 1e-5; the float64 solver passes far
/// tighter). Shapes are tiny (the accelerator emulates every work-item with a thread) but reach every
/// path: groups of 4 to 32 (reductions over several levels), fewer groups than rows (grid-stride), K = 2,
/// K below, at and above the group size, extreme logits, the collision loss's log-domain rows, the
/// Sinkhorn passes' float16/bfloat16 storage and chunk offsets, and both EM column-sum paths.
/// </summary>
public sealed class IlgpuCpuAcceleratorTests
{
    // The Sinkhorn passes' contract against the CPU backend, as the OpenCL/CUDA tests hold it
    // (CrossBackendSinkhornTests): the CPU evaluates a column's exponentials against tile maxima, a
    // different association from the kernels' online pairs, which moves the last digits.
    private const double PassTolerance = 1e-6;
    private const double PassFloor = 1e-7;

    private static IBackendKernels Cpu => CpuBackend.Instance.Kernels;

    public static TheoryData<int, int, int, int> RowShapes => new()
    {
        // rows, columns, group size, most groups (0: the launcher's choice)
        { 1, 2, 4, 0 },
        { 3, 5, 4, 2 },
        { 5, 37, 8, 2 },
        { 2, 64, 32, 0 },
        { 3, 300, 16, 0 },
    };

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void Softmax_forward_log_forward_and_backward_match_the_cpu_backend(int n, int k, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var z = Logits(n, k, seed: n + k, extremeRow: true);
        var g = Logits(n, k, seed: n * k, extremeRow: false);
        foreach (var logarithm in new[] { false, true })
        {
            foreach (var temperature in new[] { 1f, 0.7f })
            {
                using var logits = F32(z, n, k);
                using var got = Zeros(n, k);
                using var want = Zeros(n, k);
                ((IBackendKernels)ilgpu).SoftmaxForward(logits, got, temperature, logarithm);
                Cpu.SoftmaxForward(logits, want, temperature, logarithm);
                Close(want.ToArray(), got.ToArray(), $"forward log={logarithm} τ={temperature}");

                using var grad = F32(g, n, k);
                using var dGot = Zeros(n, k);
                using var dWant = Zeros(n, k);
                ((IBackendKernels)ilgpu).SoftmaxBackward(want, grad, dGot, temperature, logarithm);
                Cpu.SoftmaxBackward(want, grad, dWant, temperature, logarithm);
                Close(dWant.ToArray(), dGot.ToArray(), $"backward log={logarithm} τ={temperature}");
            }
        }

        Assert.Contains("softmax_forward_rows", ilgpu.Launched);
        Assert.Contains("softmax_backward_rows", ilgpu.Launched);
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void Collision_and_shannon_cross_entropy_match_the_cpu_backend(int n, int k, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var z = Logits(n, k, seed: 7 * n + k, extremeRow: true);
        var y = Targets(n, k, seed: n + (3 * k));
        if (n > 1 && k > 2)
        {
            // Row 1 takes the log-domain path: σ ≈ 1 on column 0, where the target is 0, so D = Σ σ y ~ e^-800.
            for (int j = 0; j < k; j++)
            {
                z[k + j] = j == 0 ? 400f : -400f;
                y[k + j] = j == 0 ? 0f : 1f / (k - 1);
            }
        }

        using var logits = F32(z, n, k);
        using var targets = F32(y, n, k);
        using var losses = Zeros(n);
        using var dz = Zeros(n, k);
        using var dy = Zeros(n, k);
        using var wantLosses = Zeros(n);
        using var wantDz = Zeros(n, k);
        using var wantDy = Zeros(n, k);
        ((IBackendKernels)ilgpu).CollisionCrossEntropyForwardBackward(logits, targets, losses, dz, dy);
        Cpu.CollisionCrossEntropyForwardBackward(logits, targets, wantLosses, wantDz, wantDy);
        CloseRelative(wantLosses.ToArray(), losses.ToArray(), 1e-5, "collision losses");
        Close(wantDz.ToArray(), dz.ToArray(), "collision dlogits");
        Close(wantDy.ToArray(), dy.ToArray(), "collision dtargets");

        ((IBackendKernels)ilgpu).CrossEntropyForwardBackward(logits, targets, losses, dz);
        Cpu.CrossEntropyForwardBackward(logits, targets, wantLosses, wantDz);
        CloseRelative(wantLosses.ToArray(), losses.ToArray(), 1e-5, "shannon losses");
        Close(wantDz.ToArray(), dz.ToArray(), "shannon dlogits");
        Assert.Contains("collision_ce_rows", ilgpu.Launched);
        Assert.Contains("cross_entropy_rows", ilgpu.Launched);
    }

    [Theory]
    [InlineData(DType.Float32, 3, 5, 4, 2)]
    [InlineData(DType.Float32, 6, 37, 8, 0)]
    [InlineData(DType.BFloat16, 5, 33, 4, 2)]
    [InlineData(DType.Float16, 4, 70, 32, 0)]
    [InlineData(DType.BFloat16, 3, 70, 4, 0)]
    public void Sinkhorn_row_and_column_log_sum_exp_match_the_cpu_backend(DType storage, int n, int k, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        const int FirstRow = 2;
        long total = n + FirstRow + 1;
        using var matrix = Stored(Logits(n, k, seed: 5 * k, extremeRow: true), n, k, storage);
        var random = new Random(n + k);
        using var columnShift = F64(Enumerable.Range(0, k).Select(_ => (random.NextDouble() * 6) - 3).ToArray());
        using var rowShift = F64(Enumerable.Range(0, (int)total).Select(_ => (random.NextDouble() * 6) - 3).ToArray());
        foreach (var shift in new[] { columnShift, null })
        {
            using var got = F64(new double[total]);
            using var want = F64(new double[total]);
            ((IBackendKernels)ilgpu).SinkhornRowLogSumExp(matrix, FirstRow, 25.0, shift, -1.5, got, null);
            Cpu.SinkhornRowLogSumExp(matrix, FirstRow, 25.0, shift, -1.5, want, null);
            CloseRelative(Doubles(want), Doubles(got), PassTolerance, $"row LSE shift={shift is not null}", PassFloor);
        }

        // The SeLa setup's form, the row maxima and log-sums apart; the maxima feed every pass below.
        using var rowMax = F64(new double[total]);
        using (var got = F64(new double[total]))
        using (var want = F64(new double[total]))
        {
            ((IBackendKernels)ilgpu).SinkhornRowLogSumExp(matrix, FirstRow, 1.0, null, 0.0, got, rowMax);
            Cpu.SinkhornRowLogSumExp(matrix, FirstRow, 1.0, null, 0.0, want, rowMax);
            using var wantMax = F64(new double[total]);
            Cpu.SinkhornRowLogSumExp(matrix, FirstRow, 1.0, null, 0.0, want, wantMax);
            Assert.Equal(Doubles(wantMax), Doubles(rowMax));
            CloseRelative(Doubles(want), Doubles(got), PassTolerance, "row log-sums", PassFloor);
        }

        foreach (var (accumulate, maxima) in new[] { (false, null), (true, null), (false, rowMax) })
        {
            var start = Enumerable.Range(0, k).Select(j => j % 3 == 0 ? double.NegativeInfinity : j * 0.25).ToArray();
            using var got = F64(start);
            using var want = F64(start);
            using var scratch = CpuBackend.Instance.Allocate(DType.Float64, CpuBackend.Instance.ReductionScratchElements(k));

            // What Backend.ReductionScratchElements(K) gives a GPU backend (its reduction groups are SinkhornLaunches').
            long gpuElements = (2L * (Backend.ScratchAlignment + (SinkhornLaunches.MaxReductionGroups * (long)k))) + SinkhornLaunches.MaxReductionGroups;
            using var gpuScratch = CpuBackend.Instance.Allocate(DType.Float64, gpuElements);
            ((IBackendKernels)ilgpu).SinkhornColumnLogSumExp(matrix, FirstRow, 25.0, maxima, rowShift, 0.5, got, accumulate, gpuScratch);
            Cpu.SinkhornColumnLogSumExp(matrix, FirstRow, 25.0, maxima, rowShift, 0.5, want, accumulate, scratch);
            CloseRelative(Doubles(want), Doubles(got), PassTolerance, $"column LSE accumulate={accumulate} maxima={maxima is not null}", PassFloor);
        }

        Assert.Contains("sinkhorn_column_lse_reduce", ilgpu.Launched);

        // The fused SeLa iteration over the chunk: the row state, the column sums (both with and without
        // accumulation) and the change measure. K = 70 with groups of 4 runs past the 12 columns a work-item
        // keeps on chip.
        var logR = Enumerable.Range(0, k).Select(j => -Math.Log(k) + (0.01 * (j % 5))).ToArray();
        var previous = Enumerable.Range(0, (int)total).Select(i => 40.0 + i).ToArray();
        foreach (var accumulate in new[] { false, true })
        {
            using var logRTensor = F64(logR);
            using var state = F64(previous);
            using var wantState = F64(previous);
            var startSums = Enumerable.Range(0, k).Select(j => 0.5 * j).ToArray();
            using var sums = F64(startSums);
            using var wantSums = F64(startSums);
            long gpuElements = (2L * (Backend.ScratchAlignment + (SinkhornLaunches.MaxReductionGroups * (long)k))) + SinkhornLaunches.MaxReductionGroups;
            using var gpuScratch = CpuBackend.Instance.Allocate(DType.Float64, gpuElements);
            using var scratch = CpuBackend.Instance.Allocate(DType.Float64, CpuBackend.Instance.ReductionScratchElements(k));
            double got = ((IBackendKernels)ilgpu).SinkhornSelaPass(matrix, FirstRow, 25.0, rowMax, logRTensor, state, sums, accumulate, measureError: true, gpuScratch);
            double want = Cpu.SinkhornSelaPass(matrix, FirstRow, 25.0, rowMax, logRTensor, wantState, wantSums, accumulate, measureError: true, scratch);
            CloseRelative(Doubles(wantState), Doubles(state), PassTolerance, $"SeLa state accumulate={accumulate}", PassFloor);
            CloseRelative(Doubles(wantSums), Doubles(sums), PassTolerance, $"SeLa column sums accumulate={accumulate}", PassFloor);
            CloseRelative([want], [got], PassTolerance, "SeLa change", PassFloor);
        }

        Assert.Contains("sinkhorn_sela_pass", ilgpu.Launched);
        Assert.Contains("sinkhorn_column_sum_reduce", ilgpu.Launched);

        // Finalize: labels (with a tie on the extreme row), log c and the codes, or no codes.
        using var finalLogR = F64(logR);
        using var rowLse = F64(Enumerable.Range(0, (int)total).Select(i => 50.0 + (0.5 * i)).ToArray());
        using var rowState = F64(previous);
        using var negativeLogR = F64(logR.Select(v => -v).ToArray());

        // The solver's state on entry to finalize: a_i = LSE_k(λ(z_ik − m_i) + log r_k), so the codes lie in [0, 1].
        Cpu.SinkhornRowLogSumExp(matrix, FirstRow, 25.0, negativeLogR, 0.0, rowState, null);
        using var entryState = F64(Doubles(rowState).Zip(Doubles(rowMax), (a, m) => a - (25.0 * m)).ToArray());
        foreach (bool withCodes in new[] { true, false })
        {
            using var logC = Zeros(total);
            using var wantLogC = Zeros(total);
            using var labels = CpuBackend.Instance.Allocate(DType.Int64, total);
            using var wantLabels = CpuBackend.Instance.Allocate(DType.Int64, total);
            using var codes = Zeros(n, k);
            using var wantCodes = Zeros(n, k);
            ((IBackendKernels)ilgpu).SinkhornSelaFinalize(matrix, FirstRow, 25.0, rowMax, finalLogR, rowLse, entryState, Math.Log(total), logC, labels, withCodes ? codes : null);
            Cpu.SinkhornSelaFinalize(matrix, FirstRow, 25.0, rowMax, finalLogR, rowLse, entryState, Math.Log(total), wantLogC, wantLabels, withCodes ? wantCodes : null);
            // Only the chunk's rows are written (the others are whatever the allocation held).
            Assert.Equal(Longs(wantLabels).AsSpan(FirstRow, n).ToArray(), Longs(labels).AsSpan(FirstRow, n).ToArray());
            CloseRelative(wantLogC.ToArray().AsSpan(FirstRow, n).ToArray(), logC.ToArray().AsSpan(FirstRow, n).ToArray(), 1e-6, "log c");
            if (withCodes)
            {
                Close(wantCodes.ToArray(), codes.ToArray(), "codes");
            }
        }

        Assert.Contains("sinkhorn_sela_finalize", ilgpu.Launched);
        if (storage != DType.Float32)
        {
            return;
        }

        // The float32-only passes: exp of the shifted scores (with and without a column shift) and the bias.
        foreach (var shift in new[] { columnShift, null })
        {
            using var got = Zeros(n, k);
            using var want = Zeros(n, k);
            // Row shifts near each row's largest scaled score (a solver's), so exp stays in float32 range.
            var scores = matrix.ToArray();
            using var rowTerms = F64(Enumerable.Range(0, n).Select(i => (25.0 * scores.AsSpan(i * k, k).ToArray().Max()) + 3.0 - (i % 2)).ToArray());
            ((IBackendKernels)ilgpu).SinkhornExpShifted(matrix, 25.0, shift, rowTerms, -10.0, got);
            Cpu.SinkhornExpShifted(matrix, 25.0, shift, rowTerms, -10.0, want);
            Close(want.ToArray(), got.ToArray(), $"exp shifted ({shift is not null})");
        }

        using var bias = F32(Enumerable.Range(0, k).Select(j => j * 0.125f).ToArray(), k);
        using var biased = F32(matrix.ToArray(), n, k);
        using var wantBiased = F32(matrix.ToArray(), n, k);
        ((IBackendKernels)ilgpu).SinkhornAddBias(biased, bias);
        Cpu.SinkhornAddBias(wantBiased, bias);
        Assert.Equal(wantBiased.ToArray(), biased.ToArray());
        Assert.Contains("sinkhorn_exp_shifted", ilgpu.Launched);
        Assert.Contains("sinkhorn_add_bias", ilgpu.Launched);
    }

    [Theory]
    [InlineData(1, 2, 4, 0)] // one row, K = 2
    [InlineData(3, 5, 4, 2)] // fewer groups than rows: grid-stride and several rows per reduction block
    [InlineData(6, 37, 8, 0)] // K above the group size, not a multiple of it
    [InlineData(4, 70, 32, 0)]
    public void Swav_passes_match_the_cpu_backend(int n, int k, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var kernels = (IBackendKernels)ilgpu;
        var random = new Random((7 * n) + k);
        using var scores = F32(Logits(n, k, seed: 3 * k, extremeRow: true), n, k);
        using var columnShift = F64(Enumerable.Range(0, k).Select(_ => (random.NextDouble() * 4) - 2).ToArray());
        long gpuElements = (2L * (Backend.ScratchAlignment + (SinkhornLaunches.MaxReductionGroups * (long)k))) + SinkhornLaunches.MaxReductionGroups;
        using var gpuScratch = CpuBackend.Instance.Allocate(DType.Float64, gpuElements);
        using var scratch = CpuBackend.Instance.Allocate(DType.Float64, CpuBackend.Instance.ReductionScratchElements(k));

        // The log domain's codes: every row sums to 1, the ±80 row included (scale 0.5 keeps exp(y − m) in range).
        using var logCodes = Zeros(n, k);
        using var wantLogCodes = Zeros(n, k);
        kernels.SwavLogCodes(scores, 0.5, columnShift, logCodes);
        Cpu.SwavLogCodes(scores, 0.5, columnShift, wantLogCodes);
        Close(wantLogCodes.ToArray(), logCodes.ToArray(), "log codes");

        // The linear domain: exp rows with their maxima and spreads.
        using var rowMax = F64(new double[n]);
        using var rowSpread = F64(new double[n]);
        using var wantMax = F64(new double[n]);
        using var wantSpread = F64(new double[n]);
        using var e = Zeros(n, k);
        using var wantE = Zeros(n, k);
        using var unusedSums = F64(new double[k]);
        kernels.SwavExpRows(scores, 0.5, rowMax, rowSpread, e, unusedSums);
        Cpu.SwavExpRows(scores, 0.5, wantMax, wantSpread, wantE, unusedSums);
        CloseRelative(Doubles(wantMax), Doubles(rowMax), 0, "row max");
        CloseRelative(Doubles(wantSpread), Doubles(rowSpread), 0, "row spread");
        Close(wantE.ToArray(), e.ToArray(), "exp rows");

        // Weighted column sums, the row step with and without them, the fused last step and the scaling,
        // all from the same codes (the CPU's), so only the passes' own rounding differs.
        using var codes = F32(wantE.ToArray(), n, k);
        var rowWeightValues = Enumerable.Range(0, n).Select(i => 0.5 + (0.25 * i)).ToArray();
        var columnWeightValues = Enumerable.Range(0, k).Select(j => 1.0 + (0.125 * (j % 7))).ToArray();
        using var rowWeights = F64(rowWeightValues);
        using var columnWeights = F64(columnWeightValues);
        using var sums = F64(new double[k]);
        using var wantSums = F64(new double[k]);
        kernels.SwavColumnSums(codes, rowWeights, sums, gpuScratch);
        Cpu.SwavColumnSums(codes, rowWeights, wantSums, scratch);
        CloseRelative(Doubles(wantSums), Doubles(sums), 1e-12, "weighted column sums");

        foreach (bool withColumns in new[] { true, false })
        {
            using var u = F64(new double[n]);
            using var wantU = F64(new double[n]);
            using var stepSums = F64(new double[k]);
            using var wantStepSums = F64(new double[k]);
            kernels.SwavRowStep(codes, columnWeights, 1.0 / n, u, withColumns ? stepSums : null, gpuScratch);
            Cpu.SwavRowStep(codes, columnWeights, 1.0 / n, wantU, withColumns ? wantStepSums : null, scratch);
            CloseRelative(Doubles(wantU), Doubles(u), 1e-12, $"row step weights (columns={withColumns})");
            CloseRelative(Doubles(wantStepSums), Doubles(stepSums), 1e-12, $"row step column sums (columns={withColumns})");
        }

        using var scaled = F32(wantE.ToArray(), n, k);
        using var wantScaled = F32(wantE.ToArray(), n, k);
        kernels.SwavScale(scaled, rowWeights, columnWeights, 3.0);
        Cpu.SwavScale(wantScaled, rowWeights, columnWeights, 3.0);
        Close(wantScaled.ToArray(), scaled.ToArray(), "scale");

        kernels.SwavRowStepAndScale(codes, columnWeights, 1.0 / n, (double)n);
        Cpu.SwavRowStepAndScale(wantE, columnWeights, 1.0 / n, (double)n);
        Close(wantE.ToArray(), codes.ToArray(), "row step and scale");
        Assert.Equal(["swav_log_codes", "swav_exp_rows", "swav_column_sums_partial", "sinkhorn_column_sum_reduce", "swav_row_step", "sinkhorn_column_sum_reduce", "swav_row_step", "swav_scale", "swav_row_step_scale"], ilgpu.Launched);
    }

    [Fact]
    public void Swav_exp_rows_report_an_infinite_spread_for_a_NaN_score()
    {
        // The solver screens the spreads for finiteness before it takes the linear path.
        var ilgpu = Kernels(4, 0);
        var z = Logits(2, 9, seed: 1, extremeRow: false);
        z[4] = float.NaN;
        using var scores = F32(z, 2, 9);
        using var rowMax = F64(new double[2]);
        using var rowSpread = F64(new double[2]);
        using var e = Zeros(2, 9);
        using var unusedSums = F64(new double[9]);
        ((IBackendKernels)ilgpu).SwavExpRows(scores, 1.0, rowMax, rowSpread, e, unusedSums);
        var spread = Doubles(rowSpread);
        Assert.False(double.IsFinite(spread[0]));
        Assert.True(double.IsFinite(spread[1]));
        Assert.Equal(z.AsSpan(9, 9).ToArray().Max(), Doubles(rowMax)[1]);
    }

    [Theory]
    [InlineData(4, 3, 8, 0)] // segment 4 of a group of 8: two rows at once, column sums across segments
    [InlineData(7, 5, 8, 2)] // segment 8, registers, two groups of rows
    [InlineData(5, 37, 4, 0)] // K > 8 · segment: column sums in the group's slice of the partials
    [InlineData(3, 2, 32, 0)] // K = 2: sixteen rows at once, most of them inactive
    public void Em_step_matches_the_cpu_backend(int n, int k, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var sigma = Softmax(Logits(n, k, seed: 11 * n + k, extremeRow: false), n, k);
        var random = new Random(k);
        var y = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                // Row 0 has a zero entry, which must stay exactly 0.
                y[(i * k) + j] = i == 0 && j == 0 ? 0 : random.NextDouble() + 0.05;
                sum += y[(i * k) + j];
            }

            for (int j = 0; j < k; j++)
            {
                y[(i * k) + j] /= sum;
            }
        }

        var w = Enumerable.Range(0, k).Select(j => j == 1 ? 0.0 : 0.3 + (0.1 * j)).ToArray();
        using var probs = F32(sigma, n, k);
        using var current = F64(y, n, k);
        using var weights = F64(w);
        using var next = F64(new double[n * k], n, k);
        using var wantNext = F64(new double[n * k], n, k);
        using var sums = F64(new double[k]);
        using var wantSums = F64(new double[k]);
        using var scratch = CpuBackend.Instance.Allocate(DType.Float64, EmLaunchShape.ScratchElements(k));
        using var cpuScratch = CpuBackend.Instance.Allocate(DType.Float64, CpuBackend.Instance.EmScratchElements(k));
        var got = ((IBackendKernels)ilgpu).EmStep(probs, current, weights, next, sums, scratch);
        var want = Cpu.EmStep(probs, current, weights, wantNext, wantSums, cpuScratch);
        CloseRelative(Doubles(wantNext), Doubles(next), 1e-12, "next");
        Assert.Equal(0.0, Doubles(next)[0]);
        CloseRelative(Doubles(wantSums), Doubles(sums), 1e-12, "column sums");
        CloseRelative([want.NegativeLogCollision, want.MaxChange], [got.NegativeLogCollision, got.MaxChange], 1e-12, "report");
        Assert.Equal(["em_step_rows", "em_reduce_columns"], ilgpu.Launched);

        // The moments of a given Y, stored as float64 (the iterate) and as float32 (a caller's labels).
        foreach (var labels in new[] { current, F32(y.Select(v => (float)v).ToArray(), n, k) })
        {
            double gotLog = ((IBackendKernels)ilgpu).PseudoLabelMoments(probs, labels, sums, scratch);
            double wantLog = Cpu.PseudoLabelMoments(probs, labels, wantSums, cpuScratch);
            CloseRelative([wantLog], [gotLog], 1e-12, $"moments −ln ({labels.DType})");
            CloseRelative(Doubles(wantSums), Doubles(sums), 1e-12, $"moments column sums ({labels.DType})");
        }

        Assert.Contains("em_moments_rows", ilgpu.Launched);
    }

    [Theory]
    [InlineData(4, 3, 8, 0, 1.0)]
    [InlineData(5, 37, 4, 2, 0.5)] // K > group size: the weights loop strides, the KL sum reduces over the group
    [InlineData(3, 2, 32, 0, 0.0)] // λ = 0: no KL term, zero weights
    public void Em_tracked_steps_match_the_cpu_backend_and_stop_when_converged(int n, int k, int groupSize, int maxGroups, double lambda)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var kernels = (IBackendKernels)ilgpu;
        var sigma = Softmax(Logits(n, k, seed: (13 * n) + k, extremeRow: false), n, k);
        var prior = Enumerable.Range(0, k).Select(j => (1.0 + (j % 3)) / Enumerable.Range(0, k).Sum(c => 1.0 + (c % 3))).ToArray();
        var w = Enumerable.Range(0, k).Select(j => 0.2 + (0.05 * j)).ToArray();
        using var probs = F32(sigma, n, k);
        using var priorTensor = F64(prior);
        using var scratch = CpuBackend.Instance.Allocate(DType.Float64, EmLaunchShape.ScratchElements(k));
        using var cpuScratch = CpuBackend.Instance.Allocate(DType.Float64, CpuBackend.Instance.EmScratchElements(k));
        Tensor[] ours = [F64(sigma.Select(v => (double)v).ToArray(), n, k), F64(new double[n * k], n, k)];
        Tensor[] theirs = [F64(sigma.Select(v => (double)v).ToArray(), n, k), F64(new double[n * k], n, k)];
        using var weights = F64(w);
        using var wantWeights = F64(w);
        using var sums = F64(new double[k]);
        using var wantSums = F64(new double[k]);
        using var track = F64(new double[5]);
        using var wantTrack = F64(new double[5]);

        // Three steps through two slots (the third overwrites the first), the last with a tolerance
        // above any change, so it raises the status; a fourth step then changes nothing.
        for (int t = 0; t < 4; t++)
        {
            double tolerance = t >= 2 ? 10.0 : 0.0;
            kernels.EmTrackedStep(probs, ours[t % 2], weights, ours[(t + 1) % 2], sums, scratch, new EmTracking(priorTensor, lambda, tolerance, t, track));
            Cpu.EmTrackedStep(probs, theirs[t % 2], wantWeights, theirs[(t + 1) % 2], wantSums, cpuScratch, new EmTracking(priorTensor, lambda, tolerance, t, wantTrack));
            CloseRelative(Doubles(theirs[(t + 1) % 2]), Doubles(ours[(t + 1) % 2]), 1e-12, $"iterate {t}");
            CloseRelative(Doubles(wantWeights), Doubles(weights), 1e-12, $"weights {t}");
            CloseRelative(Doubles(wantTrack), Doubles(track), 1e-12, $"track {t}");
        }

        Assert.Equal(3.0, Doubles(track)[0]);
        Assert.All(ours.Concat(theirs), tensor => tensor.Dispose());
        Assert.Equal(4 * 3, ilgpu.Launched.Count);
        Assert.Equal(["em_step_rows", "em_reduce_columns", "em_track"], ilgpu.Launched.Take(3));
    }

    [Theory]
    [InlineData(1, 4, 0)]
    [InlineData(37, 8, 2)] // more elements than the grid covers: grid-stride
    public void Em_conversions_match_the_cpu_backend(int count, int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var values = Logits(1, count, seed: count, extremeRow: false).Select(v => v / 3).ToArray();
        var wide = values.Select(v => (double)v + 1e-12).ToArray();
        using var f32 = F32(values, count);
        using var f64 = F64(wide, count);
        using var toDouble = F64(new double[count], count);
        using var toFloat = Zeros(count);
        using var copyFloat = Zeros(count);
        using var copyDouble = F64(new double[count], count);
        var kernels = (IBackendKernels)ilgpu;
        kernels.PseudoLabelConvert(f32, toDouble);
        kernels.PseudoLabelConvert(f64, toFloat);
        kernels.PseudoLabelConvert(f32, copyFloat);
        kernels.PseudoLabelConvert(f64, copyDouble);
        Assert.Equal(values.Select(v => (double)v), Doubles(toDouble));
        Assert.Equal(wide.Select(v => (float)v), toFloat.ToArray());
        Assert.Equal(values, copyFloat.ToArray());
        Assert.Equal(wide, Doubles(copyDouble));
        Assert.Equal(["em_widen", "em_narrow", "em_copy_float", "em_copy_double"], ilgpu.Launched);
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(1, 2)] // more columns than the grid covers: grid-stride
    public void Sinkhorn_device_updates_of_r_and_column_weights_match_the_cpu_backend(int groupSize, int maxGroups)
    {
        var ilgpu = Kernels(groupSize, maxGroups);
        var kernels = (IBackendKernels)ilgpu;
        double[] sums = [1.0, 0.25, 3e9, 1e-289, 1e-291, 0, double.PositiveInfinity, double.NaN, 7.5];
        double[] trusted = [1.0, 0.25, 3e9, 1e-289, 7.5];
        var logR = Enumerable.Range(0, sums.Length).Select(j => 3 * Math.Sin(j)).ToArray();
        foreach (var (values, threshold) in new[] { (trusted, 1e-290), (sums, 1e-290), (trusted, 0.5) })
        {
            using var columnSums = F64(values);
            using var r = F64(logR[..values.Length]);
            using var wantR = F64(logR[..values.Length]);
            using var status = F64([0]);
            using var wantStatus = F64([0]);
            kernels.SinkhornSelaLogR(columnSums, -0.75, threshold, r, status);
            Cpu.SinkhornSelaLogR(columnSums, -0.75, threshold, wantR, wantStatus);
            CloseRelative(Doubles(wantR), Doubles(r), 1e-15, $"log r ({values.Length} sums, threshold {threshold})");
            Assert.Equal(Doubles(wantStatus), Doubles(status));
        }

        using var weightSums = F64(trusted);
        using var weights = F64(new double[trusted.Length]);
        using var wantWeights = F64(new double[trusted.Length]);
        kernels.SwavColumnWeights(weightSums, weights);
        Cpu.SwavColumnWeights(weightSums, wantWeights);
        CloseRelative(Doubles(wantWeights), Doubles(weights), 1e-15, "column weights");
        Assert.Equal(["sinkhorn_sela_log_r", "sinkhorn_sela_log_r", "sinkhorn_sela_log_r", "swav_column_weights"], ilgpu.Launched);
    }

    private static IlgpuCpuKernels Kernels(int groupSize, int maxGroups) =>
        new(new LaunchOverrides(groupSize, maxGroups == 0 ? null : maxGroups));

    private static Tensor F32(float[] data, params long[] shape) => CpuBackend.Instance.FromArray(data, shape);

    private static Tensor Zeros(params long[] shape) => CpuBackend.Instance.Allocate(DType.Float32, shape);

    private static Tensor F64(double[] data, params long[] shape)
    {
        var tensor = CpuBackend.Instance.Allocate(DType.Float64, shape.Length == 0 ? [data.Length] : shape);
        CpuBackend.Instance.Upload(tensor.Buffer, tensor.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return tensor;
    }

    private static long[] Longs(Tensor tensor)
    {
        var values = new long[tensor.Length];
        CpuBackend.Instance.Download(tensor.Buffer, tensor.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static double[] Doubles(Tensor tensor)
    {
        var values = new double[tensor.Length];
        CpuBackend.Instance.Download(tensor.Buffer, tensor.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>An N×K matrix stored as <paramref name="storage"/> (float16/bfloat16 by rounding the float32 values).</summary>
    private static Tensor Stored(float[] values, int n, int k, DType storage)
    {
        if (storage == DType.Float32)
        {
            return F32(values, n, k);
        }

        var bits = values.Select(v => storage == DType.Float16
            ? BitConverter.HalfToUInt16Bits((Half)(v / 8))
            : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        var tensor = CpuBackend.Instance.Allocate(storage, n, k);
        CpuBackend.Instance.Upload(tensor.Buffer, tensor.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits.AsSpan()));
        return tensor;
    }

    /// <summary>Seeded logits in ±4; with <paramref name="extremeRow"/> the last row alternates ±80.</summary>
    private static float[] Logits(int n, int k, int seed, bool extremeRow)
    {
        var random = new Random(seed);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)((random.NextDouble() * 8) - 4);
        }

        if (extremeRow && n > 1)
        {
            for (int j = 0; j < k; j++)
            {
                z[((n - 1) * k) + j] = j % 2 == 0 ? 80f : -80f;
            }
        }

        return z;
    }

    /// <summary>Rows on the simplex with some exact zeros.</summary>
    private static float[] Targets(int n, int k, int seed)
    {
        var random = new Random(seed);
        var y = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            var row = new double[k];
            for (int j = 0; j < k; j++)
            {
                row[j] = j > 0 && random.Next(4) == 0 ? 0 : random.NextDouble() + 0.01;
                sum += row[j];
            }

            for (int j = 0; j < k; j++)
            {
                y[(i * k) + j] = (float)(row[j] / sum);
            }
        }

        return y;
    }

    private static float[] Softmax(float[] z, int n, int k)
    {
        var p = new float[z.Length];
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * k, k);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            double sum = 0;
            foreach (var v in row)
            {
                sum += Math.Exp(v - max);
            }

            for (int j = 0; j < k; j++)
            {
                p[(i * k) + j] = (float)(Math.Exp(row[j] - max) / sum);
            }
        }

        return p;
    }

    private static void Close(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            double allowed = (1e-4 * Math.Abs(want[i])) + 1e-6;
            Assert.True(Math.Abs(got[i] - (double)want[i]) <= allowed || (float.IsNaN(want[i]) && float.IsNaN(got[i])),
                $"{what}[{i}]: ILGPU {got[i]:R}, CPU {want[i]:R}");
        }
    }

    private static void CloseRelative(float[] want, float[] got, double relative, string what) =>
        CloseRelative(want.Select(v => (double)v).ToArray(), got.Select(v => (double)v).ToArray(), relative, what);

    private static void CloseRelative(double[] want, double[] got, double relative, string what, double floor = 1e-300)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            bool same = want[i] == got[i] || Math.Abs(got[i] - want[i]) <= (relative * Math.Abs(want[i])) + floor;
            Assert.True(same, $"{what}[{i}]: ILGPU {got[i]:R}, CPU {want[i]:R}");
        }
    }
}
