using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>ops.md §5 (SeLa) and §6 (SwAV), written once and bound to each backend below.</summary>
public abstract class SinkhornTestsBase : BackendTestBase
{
    public static TheoryData<int, int, double> SelaShapes() => new()
    {
        { 1, 2, 3.0 },
        { 7, 3, 3.0 },
        { 33, 10, 3.0 },
        { 257, 10, 5.0 },
        { 33, 1000, 10.0 },
        { 257, 1000, 3.0 },
        { 100, 33, 0.3 },
    };

    [SkippableTheory]
    [MemberData(nameof(SelaShapes))]
    public void SeLa_matches_float64_reference(int n, int k, double scale)
    {
        var z = TestData.Logits(n, k, seed: (n * 7) + k, scale: scale);
        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true));
        var reference = SinkhornReference.SeLa(Float64.Widen(z), n, k, 25);
        AssertMatches(reference, result, 0, n, k);
    }

    [SkippableTheory]
    [InlineData(1e9, 10, 1000)]
    [InlineData(1e-3, 7, 50)]
    [InlineData(1e-12, 1, 23)]
    [InlineData(0.5, 3, 1)]
    [InlineData(0.01, 10, 15)]
    public void Iteration_count_follows_the_check_schedule(double tol, int checkEvery, int maxIters)
    {
        var z = TestData.Logits(33, 10, seed: 4, scale: 1.0);
        using var logits = Upload(z, 33, 10);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(25, tol, checkEvery, maxIters, ComputeCodes: true));
        var reference = SinkhornReference.SeLa(Float64.Widen(z), 33, 10, 25, tol, checkEvery, maxIters);
        AssertMatches(reference, result, 0, 33, 10);
        if (tol >= 1e9)
        {
            Assert.Equal(1, result.Iterations[0]);
        }
    }

    [SkippableTheory]
    [InlineData(33, 10, 25.0, 0.2)]
    [InlineData(257, 3, 25.0, 0.1)]
    [InlineData(7, 100, 5.0, 1.0)]
    [InlineData(40, 8, 25.0, 1.0)]
    public void Converged_plan_has_equipartition_marginals(int n, int k, double lambda, double scale)
    {
        var z = TestData.Logits(n, k, seed: 21, scale: scale);
        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(lambda, 1e-7, 1, 20000));
        Assert.True(result.Iterations[0] < 20000, "did not converge");
        var logR = result.LogR.ToArray();
        var logC = result.LogC.ToArray();
        var rows = new double[n];
        var columns = new double[k];
        for (int i = 0; i < n; i++)
        {
            var row = Float64.Widen(z[(i * k)..((i + 1) * k)]);
            double lse = Float64.LogSumExp(row);
            for (int j = 0; j < k; j++)
            {
                double q = Math.Exp((lambda * (row[j] - lse)) + logR[j] + logC[i]);
                rows[i] += q;
                columns[j] += q;
            }
        }

        Approx.Elementwise(Enumerable.Repeat(1.0 / k, k).ToArray(), columns.Select(v => (float)v).ToArray(), "column sums", absolute: 0);
        Approx.Elementwise(Enumerable.Repeat(1.0 / n, n).ToArray(), rows.Select(v => (float)v).ToArray(), "row sums", absolute: 0);
    }

    [SkippableFact]
    public void Labels_unchanged_when_sigma_is_replaced_by_exp_z()
    {
        const int n = 64, k = 12;
        var z = TestData.Logits(n, k, seed: 8, scale: 2.0);
        var logSoftmax = Float64.LogSoftmax(Float64.Widen(z), n, k).Select(v => (float)v).ToArray();
        var shifted = z.Select((v, x) => v + (float)((x / k % 5) * 3.25)).ToArray();
        using var a = Upload(z, n, k);
        using var b = Upload(logSoftmax, n, k);
        using var c = Upload(shifted, n, k);
        using var ra = Sinkhorn.SeLa(a);
        using var rb = Sinkhorn.SeLa(b);
        using var rc = Sinkhorn.SeLa(c);
        var reference = SinkhornReference.SeLa(Float64.Widen(z), n, k, 25);
        for (int i = 0; i < n; i++)
        {
            if (!reference.NearTie[i])
            {
                Assert.Equal(ra.Labels[i], rb.Labels[i]);
                Assert.Equal(ra.Labels[i], rc.Labels[i]);
            }
        }

        Approx.Elementwise(Approx.Widen(ra.LogR.ToArray()), rb.LogR.ToArray(), "logr (log-softmax input)", relative: 1e-3, absolute: 1e-4);
        Approx.Elementwise(Approx.Widen(ra.LogR.ToArray()), rc.LogR.ToArray(), "logr (shifted input)", relative: 1e-3, absolute: 1e-4);
    }

    [SkippableFact]
    public void Batched_heads_equal_each_head_alone()
    {
        const int heads = 3, n = 33, k = 10;
        var z = new float[heads * n * k];
        for (int h = 0; h < heads; h++)
        {
            TestData.Logits(n, k, seed: 40 + h, scale: 1.0 + (3 * h)).CopyTo(z, h * n * k);
        }

        using var logits = Upload(z, heads, n, k);
        using var batched = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true));
        Assert.Equal(heads, batched.Heads);
        Assert.Equal([heads, (long)k], batched.LogR.Shape);
        Assert.Equal([heads, (long)n], batched.LogC.Shape);
        Assert.Equal([heads, (long)n, k], batched.Codes!.Shape);
        var logR = batched.LogR.ToArray();
        var logC = batched.LogC.ToArray();
        var codes = batched.Codes.ToArray();
        for (int h = 0; h < heads; h++)
        {
            var head = z[(h * n * k)..((h + 1) * n * k)];
            using var single = Upload(head, n, k);
            using var alone = Sinkhorn.SeLa(single, new SinkhornOptions(ComputeCodes: true));
            Assert.Equal(alone.Iterations[0], batched.Iterations[h]);
            Assert.Equal(alone.Labels, batched.Labels[(h * n)..((h + 1) * n)]);
            Assert.Equal(alone.LogR.ToArray(), logR[(h * k)..((h + 1) * k)]);
            Assert.Equal(alone.LogC.ToArray(), logC[(h * n)..((h + 1) * n)]);
            Assert.Equal(alone.Codes!.ToArray(), codes[(h * n * k)..((h + 1) * n * k)]);
            AssertMatches(SinkhornReference.SeLa(Float64.Widen(head), n, k, 25), batched, h, n, k);
        }
    }

    [SkippableFact]
    public void Extreme_logits_match_the_reference_without_NaN()
    {
        const int n = 9, k = 4;
        var random = new Random(3);
        var z = new float[n * k];
        for (int x = 0; x < z.Length; x++)
        {
            z[x] = random.Next(3) switch { 0 => -80f, 1 => 80f, _ => (float)(random.NextDouble() * 20) - 10 };
        }

        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true));
        AssertMatches(SinkhornReference.SeLa(Float64.Widen(z), n, k, 25), result, 0, n, k);
    }

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(1e10)]
    [InlineData(1e15)]
    [InlineData(1e30)]
    [InlineData(1.5e38)]
    public void Tied_logits_of_any_magnitude_match_the_reference(double magnitude)
    {
        // Small integers times a magnitude: beyond 1 only each row's tied maxima carry weight, and the
        // O(1) terms that split them (log r, the log of the tie count) must survive beside λ·z ≈ 25·3e38.
        // Before the passes took each row relative to its maximum, rows near 1e15 summed to their tie count.
        const int n = 60, k = 5;
        var random = new Random(17);
        var z = new float[n * k];
        for (int x = 0; x < z.Length; x++)
        {
            z[x] = (float)(random.Next(-2, 3) * magnitude);
        }

        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true));
        AssertMatches(SinkhornReference.SeLa(Float64.Widen(z), n, k, 25), result, 0, n, k);
        AssertRowsSumToOne(result.Codes!.ToArray(), n, k);
    }

    [SkippableFact]
    public void A_column_that_is_no_rows_maximum_at_1e30_gives_finite_results()
    {
        // Small integers times 1e30 with K > N: column 91 is no row's maximum, so its share needs log r
        // ≈ 2.5e31 exact to O(1), beyond float64 (README). The solve cannot converge, but every output
        // stays finite and every code row sums to 1 (the CPU column pass once subtracted the column
        // maximum inside a fused multiply-add, formed exp(+1e15) and wrote ∞ into log r here).
        const int n = 33, k = 257;
        var random = new Random(30);
        var z = new float[n * k];
        for (int x = 0; x < z.Length; x++)
        {
            z[x] = (float)(random.Next(-2, 3) * 1e30);
        }

        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true, MaxIterations: 50));
        Assert.All(result.LogR.ToArray(), v => Assert.True(float.IsFinite(v), $"log r {v}"));
        Assert.All(result.LogC.ToArray(), v => Assert.True(float.IsFinite(v), $"log c {v}"));
        Assert.All(result.Labels, label => Assert.InRange(label, 0, k - 1));
        AssertRowsSumToOne(result.Codes!.ToArray(), n, k);
    }

    [SkippableFact]
    public void Column_trailing_every_row_by_160_gets_its_share()
    {
        // P_i2 = e^-4000 in every row, far below float64: only log r_2 ≈ 4000 gives column 2 its mass.
        const int n = 6, k = 3;
        float[] z = [80, 79, -80, 78, 80, -80, 80, 80, -80, 77, 80, -80, 80, 75, -80, 70, 80, -80];
        using var logits = Upload(z, n, k);
        using var result = Sinkhorn.SeLa(logits, new SinkhornOptions(ComputeCodes: true, Tolerance: 1e-6, CheckEvery: 1));
        AssertMatches(SinkhornReference.SeLa(Float64.Widen(z), n, k, 25, 1e-6, 1), result, 0, n, k);
        var codes = result.Codes!.ToArray();
        Assert.Equal(n / 3.0, Enumerable.Range(0, n).Sum(i => (double)codes[(i * k) + 2]), 4);
    }

    [SkippableFact]
    public void Fused_update_of_r_equals_the_log_domain_update()
    {
        // The driver's fallback: log r'_k = log N − log K − LSE_i(λ·(z_ik − m_i) − a_i) must equal the
        // fused log N − log K + log r_k − log Σ_i q_ik it replaces.
        const int n = 50, k = 20;
        var z = TestData.Logits(n, k, seed: 12, scale: 4);
        using var logits = Upload(z, n, k);
        var backend = logits.Backend;
        var kernels = backend.Kernels;
        using var state = backend.Allocate(DType.Float64, n);
        using var logR = backend.Allocate(DType.Float64, k);
        using var sums = backend.Allocate(DType.Float64, k);
        using var lse = backend.Allocate(DType.Float64, k);
        using var scratch = backend.Allocate(DType.Float64, backend.ReductionScratchElements(k));
        using var rowMax = backend.Allocate(DType.Float64, n);
        using var rowLse = backend.Allocate(DType.Float64, n);
        kernels.SinkhornRowLogSumExp(logits, 0, 1, null, 0, rowLse, rowMax);
        var r = Enumerable.Range(0, k).Select(j => Math.Sin(j) * 30).ToArray();
        Write(logR, r);
        Write(state, new double[n]);
        kernels.SinkhornSelaPass(logits, 0, 25, rowMax, logR, state, sums, accumulate: false, measureError: false, scratch);
        kernels.SinkhornColumnLogSumExp(logits, 0, 25, rowMax, state, 0, lse, accumulate: false, scratch);
        var fused = Read(sums).Select((s, j) => r[j] - Math.Log(s)).ToArray();
        var direct = Read(lse).Select(v => -v).ToArray();
        AssertClose(direct, fused);
    }

    [SkippableFact]
    public void Row_ranges_of_the_passes_compose()
    {
        const int n = 37, k = 7, split = 15;
        var z = TestData.Logits(n, k, seed: 9);
        using var logits = Upload(z, n, k);
        var backend = logits.Backend;
        var kernels = backend.Kernels;
        using var top = RowView(logits, 0, split);
        using var bottom = RowView(logits, split, n - split);
        using var rowWhole = backend.Allocate(DType.Float64, n);
        using var rowParts = backend.Allocate(DType.Float64, n);
        using var colWhole = backend.Allocate(DType.Float64, k);
        using var colParts = backend.Allocate(DType.Float64, k);
        using var scratch = backend.Allocate(DType.Float64, backend.ReductionScratchElements(k));

        kernels.SinkhornRowLogSumExp(logits, 0, 25, null, 1.5, rowWhole, null);
        kernels.SinkhornRowLogSumExp(top, 0, 25, null, 1.5, rowParts, null);
        kernels.SinkhornRowLogSumExp(bottom, split, 25, null, 1.5, rowParts, null);
        AssertClose(Read(rowWhole), Read(rowParts));

        // The SeLa setup's form: the maxima and the log-sums apart, each row in its place.
        using var maxWhole = backend.Allocate(DType.Float64, n);
        using var maxParts = backend.Allocate(DType.Float64, n);
        using var sumWhole = backend.Allocate(DType.Float64, n);
        using var sumParts = backend.Allocate(DType.Float64, n);
        kernels.SinkhornRowLogSumExp(logits, 0, 1, null, 0, sumWhole, maxWhole);
        kernels.SinkhornRowLogSumExp(top, 0, 1, null, 0, sumParts, maxParts);
        kernels.SinkhornRowLogSumExp(bottom, split, 1, null, 0, sumParts, maxParts);
        Assert.Equal(Read(maxWhole), Read(maxParts));
        Assert.Equal(z.Chunk(k).Select(row => (double)row.Max()).ToArray(), Read(maxWhole));
        AssertClose(Read(sumWhole), Read(sumParts));

        kernels.SinkhornColumnLogSumExp(logits, 0, 25, maxWhole, rowWhole, -0.5, colWhole, accumulate: false, scratch);
        kernels.SinkhornColumnLogSumExp(top, 0, 25, maxWhole, rowWhole, -0.5, colParts, accumulate: false, scratch);
        kernels.SinkhornColumnLogSumExp(bottom, split, 25, maxWhole, rowWhole, -0.5, colParts, accumulate: true, scratch);
        AssertClose(Read(colWhole), Read(colParts));

        using var logR = backend.Allocate(DType.Float64, k);
        Write(logR, Enumerable.Range(0, k).Select(j => j * 0.7).ToArray());
        using var stateWhole = backend.Allocate(DType.Float64, n);
        using var stateParts = backend.Allocate(DType.Float64, n);
        Write(stateWhole, Read(rowWhole));
        Write(stateParts, Read(rowWhole));
        double errWhole = kernels.SinkhornSelaPass(logits, 0, 25, maxWhole, logR, stateWhole, colWhole, accumulate: false, measureError: true, scratch);
        double errParts = kernels.SinkhornSelaPass(top, 0, 25, maxWhole, logR, stateParts, colParts, accumulate: false, measureError: true, scratch)
            + kernels.SinkhornSelaPass(bottom, split, 25, maxWhole, logR, stateParts, colParts, accumulate: true, measureError: true, scratch);
        AssertClose(Read(stateWhole), Read(stateParts));
        AssertClose(Read(colWhole), Read(colParts));
        AssertClose([errWhole], [errParts]);
        Assert.Equal(n, Read(colWhole).Sum(), 10);

        using var logCWhole = backend.Allocate(DType.Float32, n);
        using var logCParts = backend.Allocate(DType.Float32, n);
        using var labelsWhole = backend.Allocate(DType.Int64, n);
        using var labelsParts = backend.Allocate(DType.Int64, n);
        using var codesWhole = backend.Allocate(DType.Float32, n, k);
        using var codesParts = backend.Allocate(DType.Float32, n, k);
        using var codesTop = RowView(codesParts, 0, split);
        using var codesBottom = RowView(codesParts, split, n - split);
        kernels.SinkhornSelaFinalize(logits, 0, 25, maxWhole, logR, rowWhole, stateWhole, 2, logCWhole, labelsWhole, codesWhole);
        kernels.SinkhornSelaFinalize(top, 0, 25, maxWhole, logR, rowWhole, stateParts, 2, logCParts, labelsParts, codesTop);
        kernels.SinkhornSelaFinalize(bottom, split, 25, maxWhole, logR, rowWhole, stateParts, 2, logCParts, labelsParts, codesBottom);
        Assert.Equal(logCWhole.ToArray(), logCParts.ToArray());
        Assert.Equal(codesWhole.ToArray(), codesParts.ToArray());
        Assert.Equal(ReadLongs(labelsWhole), ReadLongs(labelsParts));
    }

    [SkippableTheory]
    [InlineData(1, 2, 1.0)]
    [InlineData(7, 3, 1.0)]
    [InlineData(33, 10, 1.0)]
    [InlineData(257, 1000, 1.0)]
    [InlineData(64, 30, 3.0)]
    public void Swav_matches_float64_reference(int b, int k, double scale)
    {
        // Cosine-like scores in [−scale, scale].
        var s = TestData.Logits(b, k, seed: b + k, scale: 1.0).Select(v => (float)(scale * Math.Tanh(v))).ToArray();
        using var scores = Upload(s, b, k);
        foreach (int iterations in new[] { 0, 1, 3 })
        {
            using var codes = Sinkhorn.Swav(scores, new SwavOptions(Iterations: iterations));
            var q = codes.ToArray();
            Approx.Elementwise(SinkhornReference.Swav(Float64.Widen(s), b, k, 0.05, iterations), q, $"codes (n = {iterations})");
            if (iterations > 0)
            {
                AssertRowsSumToOne(q, b, k);
            }
        }
    }

    [SkippableFact]
    public void Swav_columns_approach_b_over_k()
    {
        const int b = 96, k = 12;
        var s = TestData.Logits(b, k, seed: 5, scale: 1.0).Select(v => (float)Math.Tanh(v)).ToArray();
        using var scores = Upload(s, b, k);
        using var codes = Sinkhorn.Swav(scores, new SwavOptions(0.05, 500));
        var q = codes.ToArray();
        AssertRowsSumToOne(q, b, k);
        var columns = new double[k];
        for (int x = 0; x < q.Length; x++)
        {
            columns[x % k] += q[x];
        }

        Approx.Elementwise(Enumerable.Repeat((double)b / k, k).ToArray(), columns.Select(v => (float)v).ToArray(), "column sums", relative: 1e-3);
        Approx.Elementwise(SinkhornReference.Swav(Float64.Widen(s), b, k, 0.05, 500), q, "codes");
    }

    [SkippableTheory]
    [InlineData(1e-3, 1.0)]
    [InlineData(0.05, 80.0)]
    [InlineData(1e-6, 1.0)]
    public void Swav_extreme_scores_give_finite_rows_summing_to_one(double epsilon, double scale)
    {
        // exp(S/ε − max) underflows to 0 in float64 for whole rows here: the linear recursion would
        // divide 0 by 0, the log-domain one stays exact.
        const int b = 17, k = 5;
        var s = TestData.Logits(b, k, seed: 77, scale: 1.0).Select(v => (float)(scale * Math.Tanh(v))).ToArray();
        using var scores = Upload(s, b, k);
        using var codes = Sinkhorn.Swav(scores, new SwavOptions(epsilon, 3));
        var q = codes.ToArray();
        Assert.All(q, v => Assert.True(float.IsFinite(v) && v >= 0));
        AssertRowsSumToOne(q, b, k);
        Approx.Elementwise(SinkhornReference.SwavLogDomain(Float64.Widen(s), b, k, epsilon, 3), q, "codes");
    }

    [SkippableFact]
    public void Bad_input_names_argument_and_row()
    {
        var z = TestData.Logits(5, 4, seed: 1);
        z[(3 * 4) + 2] = float.NaN;
        using var logits = Upload(z, 5, 4);
        var e = Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(logits));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(3, e.Row);

        var z3 = TestData.Logits(3 * 5, 4, seed: 1);
        z3[(7 * 4) + 1] = float.PositiveInfinity;
        using var heads = Upload(z3, 3, 5, 4);
        e = Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(heads));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(7, e.Row);
        Assert.Contains("head 1, row 2", e.Message, StringComparison.Ordinal);

        using var ok = Upload(TestData.Logits(5, 4, seed: 1), 5, 4);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(Lambda: 0))).Argument);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(Lambda: -1))).Argument);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(Lambda: double.NaN))).Argument);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(Lambda: 1e31))).Argument);
        Assert.Equal("tol", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(Tolerance: -0.1))).Argument);
        Assert.Equal("check-every", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(CheckEvery: 0))).Argument);
        Assert.Equal("max-iters", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(ok, new SinkhornOptions(MaxIterations: 0))).Argument);

        using var oneCluster = Upload([1f, 2f], 2, 1);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(oneCluster)).Argument);
        using var vector = Upload([1f, 2f], 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(vector)).Argument);
        using var rank4 = Upload(new float[8], 1, 2, 2, 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(rank4)).Argument);
        using var integers = Backend.Allocate(DType.Int64, 2, 2);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(integers)).Argument);

        var s = TestData.Logits(5, 4, seed: 2);
        s[9] = float.NegativeInfinity;
        using var badScores = Upload(s, 5, 4);
        e = Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(badScores));
        Assert.Equal("scores", e.Argument);
        Assert.Equal(2, e.Row);
        Assert.Equal("epsilon", Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(ok, new SwavOptions(Epsilon: 0))).Argument);
        Assert.Equal("epsilon", Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(ok, new SwavOptions(Epsilon: 1e-31))).Argument);
        Assert.Equal("iters", Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(ok, new SwavOptions(Iterations: -1))).Argument);
        Assert.Equal("scores", Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(oneCluster)).Argument);
        Assert.Equal("scores", Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(heads)).Argument);
    }

    /// <summary>
    /// SwAV screens finiteness in its first pass over the scores: every kind of bad value, in a row's
    /// vector part and in its scalar tail (K = 37), is reported at its row, with or without iterations.
    /// </summary>
    [SkippableTheory]
    [InlineData(float.NaN, 3, 3)]
    [InlineData(float.NaN, 35, 0)]
    [InlineData(float.PositiveInfinity, 0, 3)]
    [InlineData(float.PositiveInfinity, 36, 3)]
    [InlineData(float.NegativeInfinity, 17, 1)]
    public void Swav_names_the_row_of_a_non_finite_score(float bad, int column, int iterations)
    {
        const int b = 6, k = 37;
        var s = TestData.Logits(b, k, seed: 4);
        s[(4 * k) + column] = bad;
        s[(5 * k) + column] = bad;
        using var scores = Upload(s, b, k);
        var e = Assert.Throws<GslArgumentException>(() => Sinkhorn.Swav(scores, new SwavOptions(Iterations: iterations)));
        Assert.Equal("scores", e.Argument);
        Assert.Equal(4, e.Row);
    }

    /// <summary>The contract of ops.md §5 for head <paramref name="head"/> of a result.</summary>
    internal static void AssertMatches(SinkhornReference.SelaResult reference, SinkhornResult result, int head, int n, int k)
    {
        Assert.Equal(reference.Iterations, result.Iterations[head]);
        for (int i = 0; i < n; i++)
        {
            if (!reference.NearTie[i])
            {
                Assert.True(reference.Labels[i] == result.Labels[(head * n) + i], $"label of row {i}: {result.Labels[(head * n) + i]}, expected {reference.Labels[i]}");
            }
        }

        Approx.Elementwise(reference.LogR, result.LogR.ToArray().AsSpan(head * k, k), "logr");
        Approx.Elementwise(reference.LogC, result.LogC.ToArray().AsSpan(head * n, n), "logc");
        if (result.Codes is { } codes)
        {
            Approx.Elementwise(reference.Codes, codes.ToArray().AsSpan(head * n * k, n * k), "codes");
        }
    }

    private static void AssertRowsSumToOne(float[] q, int b, int k)
    {
        for (int i = 0; i < b; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += q[(i * k) + j];
            }

            Assert.True(Math.Abs(sum - 1) <= 1e-5, $"row {i} sums to {sum:G9}");
        }
    }

    /// <summary>
    /// Two float64 evaluations of one quantity whose float32 exponentials (SinkhornRowMath on the CPU)
    /// are taken at different shifts: they agree to about 1e-7 (a float32 rounding), inside the 1e-6 of
    /// the contract.
    /// </summary>
    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int x = 0; x < expected.Length; x++)
        {
            Assert.True(Math.Abs(expected[x] - actual[x]) <= 2e-7 * Math.Max(1, Math.Abs(expected[x])), $"[{x}] {actual[x]:R} vs {expected[x]:R}");
        }
    }

    private static Tensor RowView(Tensor matrix, long firstRow, long rows) =>
        new(matrix.Backend, matrix.Buffer, matrix.DType, [rows, matrix.Columns], matrix.ByteOffset + (firstRow * matrix.Columns * matrix.DType.SizeInBytes()), ownsBuffer: false);

    private static double[] Read(Tensor vector)
    {
        var values = new double[vector.Length];
        vector.Backend.Download(vector.Buffer, vector.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static long[] ReadLongs(Tensor vector)
    {
        var values = new long[vector.Length];
        vector.Backend.Download(vector.Buffer, vector.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static void Write(Tensor vector, double[] values) =>
        vector.Backend.Upload(vector.Buffer, vector.ByteOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    [SkippableTheory]
    [InlineData(1, 2, 1.0, 3)]
    [InlineData(33, 10, 1.0, 0)]
    [InlineData(257, 1000, 1.0, 3)]
    [InlineData(17, 5, 80.0, 3)]
    public void Swav_into_writes_the_allocating_codes_bit_for_bit_into_caller_memory(int b, int k, double scale, int iterations)
    {
        // scale 80 sends the solver down its log-domain path, the others down the linear one.
        var s = TestData.Logits(b, k, seed: b + k, scale: 1.0).Select(v => (float)(scale * Math.Tanh(v))).ToArray();
        using var scores = Upload(s, b, k);
        var options = new SwavOptions(Iterations: iterations);
        using var expected = Sinkhorn.Swav(scores, options);
        using var output = Destination.Create(Backend, [b, k]);
        Sinkhorn.SwavInto(scores, output.Tensor, options);
        Destination.AssertBitwise(expected.ToArray(), output.Read(), "codes");
    }

    [SkippableFact]
    public void Swav_into_destination_is_refused_before_anything_is_written()
    {
        using var scores = Upload(TestData.Logits(6, 5, seed: 1, scale: 1.0), 6, 5);
        DestinationRules.Enforced(Backend, "output", [6, 5], d => Sinkhorn.SwavInto(scores, d), [scores], []);
    }

    /// <summary>
    /// Scores near 1e30 (and up to ±3.4e38) put S/ε near 1e31, where a float64 row shift cannot hold
    /// log B or log 2: the codes' rows must still sum to 1, and tied maxima share their row equally.
    /// </summary>
    [SkippableTheory]
    [InlineData(1e30f, 0.05)]
    [InlineData(3e38f, 0.05)]
    [InlineData(3e38f, 1.0)]
    [InlineData(1e30f, 1e-3)]
    public void Swav_rows_sum_to_one_for_scores_up_to_the_float32_limit(float magnitude, double epsilon)
    {
        const int b = 6, k = 5;
        var random = new Random(11);
        var s = new float[b * k];
        for (int e = 0; e < s.Length; e++)
        {
            s[e] = random.Next(4) switch
            {
                0 => magnitude,
                1 => -magnitude,
                2 => (float)(magnitude * random.NextDouble()),
                _ => (float)random.NextDouble(),
            };
        }

        // Row 0: two tied maxima and nothing else near them.
        s[0] = s[1] = magnitude;
        s[2] = s[3] = s[4] = -magnitude;
        foreach (int iterations in (int[])[1, 3, 7])
        {
            using var scores = Upload(s, b, k);
            using var codes = Sinkhorn.Swav(scores, new SwavOptions(epsilon, iterations));
            var q = codes.ToArray();
            for (int i = 0; i < b; i++)
            {
                var row = q.AsSpan(i * k, k).ToArray();
                Assert.All(row, v => Assert.True(float.IsFinite(v) && v >= 0, $"row {i}: {v}"));
                Assert.Equal(1.0, row.Sum(v => (double)v), 5);
            }
        }
    }
}

public sealed class CpuSinkhornTests : SinkhornTestsBase
{
    protected override string BackendName => "cpu";
}
