using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Families;

/// <summary>
/// The large-N SeLa solver (ops.md §5 at scale): chunked passes, float16/bfloat16 storage, host
/// matrices streamed to the device, scores recomputed from features, the memory plan, progress and
/// cancellation. Written once, bound per backend.
/// </summary>
public abstract class LargeSinkhornTestsBase : BackendTestBase
{
    [SkippableTheory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(16, 2)]
    public void Chunked_solve_equals_the_whole_matrix(long chunkRows, int heads)
    {
        const int n = 50, k = 13;
        var z = HeadsOf(heads, n, k, seed: 30);
        using var logits = Upload(z, Shape(heads, n, k));
        var options = new SinkhornOptions(ComputeCodes: true, CheckEvery: 3);
        using var whole = Sinkhorn.SeLa(logits, options);
        using var chunked = Sinkhorn.SeLa(SinkhornProblem.FromLogits(logits), options with { ChunkRows = chunkRows });
        AssertSameSolution(whole, chunked, $"chunks of {chunkRows}");
        for (int h = 0; h < heads; h++)
        {
            var head = z[(h * n * k)..((h + 1) * n * k)];
            SinkhornTestsBase.AssertMatches(SinkhornReference.SeLa(Float64.Widen(head), n, k, 25, checkEvery: 3), chunked, h, n, k);
        }
    }

    [SkippableTheory]
    [InlineData(DType.Float16)]
    [InlineData(DType.BFloat16)]
    public void Storage_types_give_the_results_of_their_float32_values(DType dtype)
    {
        const int n = 40, k = 300;
        var z = TestData.Logits(n, k, seed: 31, scale: 2);
        var bits = ToStorage(z, dtype);
        var rounded = FromStorage(bits, dtype);
        using var stored = UploadStorage(bits, dtype, n, k);
        using var plain = Upload(rounded, n, k);
        var options = new SinkhornOptions(ComputeCodes: true);
        using var fromStorage = Sinkhorn.SeLa(stored, options with { ChunkRows = 9 });
        using var fromFloats = Sinkhorn.SeLa(SinkhornProblem.FromLogits(plain), options with { ChunkRows = 9 });

        // The conversion to float32 is exact, so both solves do the same arithmetic on the same values.
        Assert.Equal(fromFloats.Iterations, fromStorage.Iterations);
        Assert.Equal(fromFloats.Labels, fromStorage.Labels);
        Assert.Equal(fromFloats.LogR.ToArray(), fromStorage.LogR.ToArray());
        Assert.Equal(fromFloats.LogC.ToArray(), fromStorage.LogC.ToArray());
        Assert.Equal(fromFloats.Codes!.ToArray(), fromStorage.Codes!.ToArray());
        SinkhornTestsBase.AssertMatches(SinkhornReference.SeLa(Float64.Widen(rounded), n, k, 25), fromStorage, 0, n, k);
    }

    [SkippableTheory]
    [InlineData(DType.Float16)]
    [InlineData(DType.BFloat16)]
    public void Non_finite_stored_values_name_their_row(DType dtype)
    {
        const int n = 6, k = 5;
        var z = TestData.Logits(n, k, seed: 32);
        z[(3 * k) + 1] = float.PositiveInfinity;
        z[(4 * k) + 2] = float.NaN;
        using var stored = UploadStorage(ToStorage(z, dtype), dtype, n, k);
        var e = Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(stored));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(3, e.Row);
        using var integers = Backend.Allocate(DType.Int32, n, k);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => SinkhornProblem.FromLogits(integers)).Argument);
    }

    [SkippableFact]
    public void Host_matrix_streamed_to_the_backend_equals_the_resident_solve()
    {
        const int n = 45, k = 20;
        var z = HeadsOf(2, n, k, seed: 33);
        var bits = ToStorage(z, DType.BFloat16);
        using var resident = UploadStorage(bits, DType.BFloat16, 2, n, k);
        using var host = Backend.Cpu.Allocate(DType.BFloat16, 2, n, k);
        Backend.Cpu.Upload(host.Buffer, host.ByteOffset, MemoryMarshal.AsBytes(bits.AsSpan()));
        var options = new SinkhornOptions(ComputeCodes: true, ChunkRows: 8);

        var streamedProblem = SinkhornProblem.FromLogits(host, Backend);
        Assert.Equal(ReferenceEquals(Backend, Backend.Cpu) ? SinkhornSourceKind.Resident : SinkhornSourceKind.Streamed, streamedProblem.Kind);
        using var streamed = Sinkhorn.SeLa(streamedProblem, options);
        using var whole = Sinkhorn.SeLa(SinkhornProblem.FromLogits(resident), options);
        Assert.Same(Backend, streamed.LogR.Backend);
        AssertSameSolution(whole, streamed, "streamed");

        if (!ReferenceEquals(Backend, Backend.Cpu))
        {
            // The other direction: the matrix on the device, the solve on the CPU.
            var toHost = SinkhornProblem.FromLogits(resident, Backend.Cpu);
            Assert.Equal(SinkhornSourceKind.Streamed, toHost.Kind);
            using var onHost = Sinkhorn.SeLa(toHost, options);
            Assert.Same(Backend.Cpu, onHost.LogR.Backend);
            AssertSameSolution(whole, onHost, "streamed to the host");
        }
    }

    [SkippableFact]
    public void Features_and_a_classifier_give_the_scores_they_stand_for()
    {
        const int n = 37, d = 6, k = 11, heads = 2;
        var x = TestData.Logits(n, d, seed: 34, scale: 1);
        var w = TestData.Logits(heads * d, k, seed: 35, scale: 1);
        var b = TestData.Logits(heads, k, seed: 36, scale: 1);
        using var features = Backend.Cpu.FromArray(x, n, d);
        using var weights = Backend.Cpu.FromArray(w, heads, d, k);
        using var bias = Backend.Cpu.FromArray(b, heads, k);

        // The scores the problem stands for, with the same product.
        var z = new float[heads * n * k];
        for (int h = 0; h < heads; h++)
        {
            var scores = z.AsSpan(h * n * k, n * k);
            Gemm.Multiply(false, false, n, k, d, 1, x, w.AsSpan(h * d * k, d * k), 0, scores);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < k; j++)
                {
                    scores[(i * k) + j] += b[(h * k) + j];
                }
            }
        }

        var problem = SinkhornProblem.FromFeatures(features, weights, bias, Backend);
        Assert.Equal(SinkhornSourceKind.Features, problem.Kind);
        Assert.Equal((heads, (long)n, (long)k, (long)d), (problem.Heads, problem.Rows, problem.Columns, problem.FeatureDimension));
        var options = new SinkhornOptions(ComputeCodes: true, ChunkRows: 10);
        using var fromFeatures = Sinkhorn.SeLa(problem, options);
        using var logits = Upload(z, heads, n, k);
        using var fromLogits = Sinkhorn.SeLa(SinkhornProblem.FromLogits(logits), options);
        AssertSameSolution(fromLogits, fromFeatures, "features");

        using var wrongD = Backend.Cpu.FromArray(new float[(d + 1) * k], d + 1, k);
        Assert.Equal("weights", Assert.Throws<GslArgumentException>(() => SinkhornProblem.FromFeatures(features, wrongD)).Argument);
        using var wrongBias = Backend.Cpu.FromArray(new float[k], k);
        Assert.Equal("bias", Assert.Throws<GslArgumentException>(() => SinkhornProblem.FromFeatures(features, weights, wrongBias)).Argument);
    }

    [SkippableFact]
    public void Scores_that_overflow_float32_from_finite_features_name_features_and_the_row()
    {
        // Finite features and weights whose product passes 3.4e38 in row 2: the solve gave NaN codes
        // and all-zero labels before the setup pass's row maxima were checked.
        const int n = 5, d = 2, k = 3;
        var x = new float[n * d];
        Array.Fill(x, 1f);
        x[(2 * d) + 1] = 3e38f;
        using var features = Backend.Cpu.FromArray(x, n, d);
        using var weights = Backend.Cpu.FromArray([1f, 0.5f, 0.25f, 4f, 2f, 1f], d, k);
        var error = Assert.Throws<GslArgumentException>(() => Sinkhorn.SeLa(SinkhornProblem.FromFeatures(features, weights, null, Backend), new SinkhornOptions(ComputeCodes: true)));
        Assert.Equal("features", error.Argument);
        Assert.Equal(2, error.Row);
    }

    [SkippableFact]
    public void Memory_plan_fits_the_budget_or_says_why_not()
    {
        const int n = 1000, k = 50;

        // A problem with a staging chunk: features on the CPU, a host matrix streamed to a GPU.
        using var host = Backend.Cpu.FromArray(TestData.Logits(n, k, seed: 37), n, k);
        using var features = Backend.Cpu.FromArray(TestData.Logits(n, 3, seed: 38), n, 3);
        using var weights = Backend.Cpu.FromArray(TestData.Logits(3, k, seed: 39), 3, k);
        var problem = ReferenceEquals(Backend, Backend.Cpu)
            ? SinkhornProblem.FromFeatures(features, weights)
            : SinkhornProblem.FromLogits(host, Backend);
        var roomy = Sinkhorn.PlanSeLa(problem);
        long fixedBytes = roomy.VectorBytes + roomy.OutputBytes;
        long rowBytes = k * sizeof(float);

        // Room for the vectors and 100 rows: chunks of 100, ten per pass.
        var tight = Sinkhorn.PlanSeLa(problem, new SinkhornOptions(MemoryBudget: fixedBytes + (100 * rowBytes) + 3));
        Assert.Equal(100, tight.ChunkRows);
        Assert.Equal(10, tight.ChunksPerPass);
        Assert.True(tight.AllocatedBytes <= tight.BudgetBytes);
        Assert.Contains(tight.Describe(), line => line.Contains("10 per pass", StringComparison.Ordinal));

        var noRow = Assert.Throws<GslArgumentException>(() => Sinkhorn.PlanSeLa(problem, new SinkhornOptions(MemoryBudget: fixedBytes + rowBytes - 1)));
        Assert.Equal("memory-budget", noRow.Argument);
        Assert.Contains("one chunk", noRow.Message, StringComparison.Ordinal);
        var noVectors = Assert.Throws<GslArgumentException>(() => Sinkhorn.PlanSeLa(problem, new SinkhornOptions(MemoryBudget: 1000)));
        Assert.Equal("memory-budget", noVectors.Argument);
        var tooLong = Assert.Throws<GslArgumentException>(() => Sinkhorn.PlanSeLa(problem, new SinkhornOptions(ChunkRows: 200, MemoryBudget: fixedBytes + (100 * rowBytes))));
        Assert.Equal("chunk-rows", tooLong.Argument);
        Assert.Equal("chunk-rows", Assert.Throws<GslArgumentException>(() => Sinkhorn.PlanSeLa(problem, new SinkhornOptions(ChunkRows: 0))).Argument);

        // A budget too small for the codes is named as such.
        var codes = Assert.Throws<GslArgumentException>(() => Sinkhorn.PlanSeLa(problem, new SinkhornOptions(ComputeCodes: true, MemoryBudget: fixedBytes + (100 * rowBytes))));
        Assert.Contains("codes", codes.Message, StringComparison.Ordinal);

        // The solve follows the plan it printed.
        using var solved = Sinkhorn.SeLa(problem, new SinkhornOptions(MemoryBudget: fixedBytes + (100 * rowBytes) + 3));
        Assert.Equal(n, solved.Labels.Length);
    }

    [SkippableFact]
    public void Progress_covers_every_pass_and_cancellation_stops_between_chunks()
    {
        const int n = 30, k = 7;
        using var logits = Upload(TestData.Logits(n, k, seed: 40), n, k);
        var problem = SinkhornProblem.FromLogits(logits);
        var reports = new List<SinkhornProgress>();
        var options = new SinkhornOptions(ChunkRows: 10, CheckEvery: 2, Tolerance: 1e-3);
        using (var result = Sinkhorn.SeLa(problem, options, new Recorder(reports.Add)))
        {
            var completed = reports.Where(r => r.Completed).ToList();
            Assert.Equal(2, completed.Count(r => r.Phase == SinkhornPhase.Setup));
            Assert.Equal(result.Iterations[0], completed.Count(r => r.Phase == SinkhornPhase.Iteration));
            Assert.Equal(Enumerable.Range(1, result.Iterations[0]), completed.Where(r => r.Phase == SinkhornPhase.Iteration).Select(r => r.Iteration));
            Assert.Equal(SinkhornPhase.Finalize, completed[^1].Phase);
            Assert.True(completed[^1].Error <= options.Tolerance || result.Iterations[0] == options.MaxIterations);
            Assert.Equal([10L, 20, 30], reports.Where(r => !r.Completed && r.Phase == SinkhornPhase.Setup).Take(3).Select(r => r.RowsDone));
        }

        using var source = new CancellationTokenSource();
        int seen = 0;
        var progress = new Recorder(r =>
        {
            if (++seen == 8)
            {
                source.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Sinkhorn.SeLa(problem, options, progress, source.Token));
        Assert.Equal(8, seen);
    }

    /// <summary>Two solves of one problem that differ only in how the matrix reached the passes.</summary>
    internal static void AssertSameSolution(SinkhornResult expected, SinkhornResult actual, string what)
    {
        Assert.Equal(expected.Iterations, actual.Iterations);
        var codes = expected.Codes?.ToArray();
        int k = checked((int)expected.LogR.Columns);
        for (int i = 0; i < expected.Labels.Length; i++)
        {
            if (codes is null || ClearLead(codes.AsSpan(i * k, k)))
            {
                Assert.True(expected.Labels[i] == actual.Labels[i], $"{what}: label of row {i}: {actual.Labels[i]}, expected {expected.Labels[i]}");
            }
        }

        Approx.Elementwise(Approx.Widen(expected.LogR.ToArray()), actual.LogR.ToArray(), what + " logr");
        Approx.Elementwise(Approx.Widen(expected.LogC.ToArray()), actual.LogC.ToArray(), what + " logc");
        if (codes is not null)
        {
            Approx.Elementwise(Approx.Widen(codes), actual.Codes!.ToArray(), what + " codes");
        }
    }

    internal static ushort[] ToStorage(float[] values, DType dtype) => dtype == DType.Float16
        ? Array.ConvertAll(values, v => BitConverter.HalfToUInt16Bits((Half)v))
        : Array.ConvertAll(values, StorageConversion.SingleToBFloat16);

    internal static float[] FromStorage(ushort[] bits, DType dtype)
    {
        var values = new float[bits.Length];
        StorageConversion.ToSingle(dtype, bits, values);
        return values;
    }

    private Tensor UploadStorage(ushort[] bits, DType dtype, params long[] shape)
    {
        var tensor = Backend.Allocate(dtype, shape);
        Backend.Upload(tensor.Buffer, tensor.ByteOffset, MemoryMarshal.AsBytes(bits.AsSpan()));
        return tensor;
    }

    private static bool ClearLead(ReadOnlySpan<float> row)
    {
        float top = 0, second = 0;
        foreach (var q in row)
        {
            (top, second) = q > top ? (q, top) : (top, Math.Max(second, q));
        }

        return top - second > 1e-5 * top;
    }

    private static float[] HeadsOf(int heads, int n, int k, int seed)
    {
        var z = new float[heads * n * k];
        for (int h = 0; h < heads; h++)
        {
            TestData.Logits(n, k, seed: seed + h, scale: 1.5 + h).CopyTo(z, h * n * k);
        }

        return z;
    }

    private static long[] Shape(int heads, int n, int k) => heads == 1 ? [n, k] : [heads, n, k];

    private sealed class Recorder(Action<SinkhornProgress> report) : IProgress<SinkhornProgress>
    {
        public void Report(SinkhornProgress value) => report(value);
    }
}

public sealed class CpuLargeSinkhornTests : LargeSinkhornTestsBase
{
    protected override string BackendName => "cpu";
}
