using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Commands;
using GpuSelfLabel.Cli.LargeSinkhorn;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Tests.Families;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// <c>gsl sinkhorn</c> (cli.md's large-N solver): memory-mapped .npy inputs in every storage type,
/// features with a classifier, the synthetic problem, the plan and summary, usage errors, cancellation.
/// </summary>
public sealed class SinkhornCommandTests
{
    private const int N = 60, K = 12;

    [Fact]
    public void Logits_file_gives_the_library_solution()
    {
        using var gsl = new GslRunner();
        var z = TestData.Logits(N, K, seed: 50, scale: 2);
        string path = gsl.Input("z", z, N, K);
        Assert.Equal(0, gsl.Run("sinkhorn", "--logits", path, "--chunk-rows", "7", "--codes", "--out", gsl.OutDir, "--backend", "cpu", "--quiet"));
        Assert.Contains("chunks       7 rows, 9 per pass", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains("time per iteration", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains("GB/s", gsl.Stdout, StringComparison.Ordinal);

        using var logits = Backend.Cpu.FromArray(z, N, K);
        using var expected = Sinkhorn.SeLa(SinkhornProblem.FromLogits(logits), new SinkhornOptions(ComputeCodes: true, ChunkRows: 7));
        Assert.Equal(expected.Labels, gsl.Output("labels").Integers);
        Assert.Equal(expected.Iterations[0], gsl.Output("iterations").Integers![0]);
        Assert.Equal(expected.LogR.ToArray(), gsl.Output("logr").Floats);
        Assert.Equal(expected.LogC.ToArray(), gsl.Output("logc").Floats);
        var codes = gsl.Output("codes");
        Assert.Equal([(long)N, K], codes.Shape);
        Assert.Equal(expected.Codes!.ToArray(), codes.Floats);
    }

    [Theory]
    [InlineData("<f2", null)]
    [InlineData("<u2", "bfloat16")]
    [InlineData("|V2", null)]
    public void Half_width_files_are_read_as_their_float32_values(string descr, string? dtype)
    {
        using var gsl = new GslRunner();
        var storage = descr == "<f2" ? DType.Float16 : DType.BFloat16;
        var bits = LargeSinkhornTestsBase.ToStorage(TestData.Logits(N, K, seed: 51, scale: 2), storage);
        string path = Path.Combine(gsl.Directory, "z.npy");
        NpyTestFiles.WriteRaw(path, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({N}, {K}), }}", MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
        string[] args = ["sinkhorn", "--logits", path, "--out", gsl.OutDir, "--backend", "cpu", "--quiet", .. dtype is null ? Array.Empty<string>() : ["--dtype", dtype]];
        Assert.Equal(0, gsl.Run(args));

        using var rounded = Backend.Cpu.FromArray(LargeSinkhornTestsBase.FromStorage(bits, storage), N, K);
        using var expected = Sinkhorn.SeLa(rounded);
        Assert.Equal(expected.Labels, gsl.Output("labels").Integers);
        Assert.Equal(expected.LogC.ToArray(), gsl.Output("logc").Floats);
    }

    [Fact]
    public void Float64_logits_are_read_as_float32_as_everywhere_else()
    {
        using var gsl = new GslRunner();
        var values = TestData.Logits(N, K, seed: 57, scale: 3);
        string doubles = Path.Combine(gsl.Directory, "doubles.npy");
        NpyTestFiles.WriteFloat64(doubles, Array.ConvertAll(values, v => (double)v), [N, K]);
        Assert.Equal(0, gsl.Run("sinkhorn", "--logits", doubles, "--out", gsl.OutDir, "--backend", "cpu", "--quiet"));

        using var logits = Backend.Cpu.FromArray(values, N, K);
        using var expected = Sinkhorn.SeLa(logits);
        Assert.Equal(expected.Labels, gsl.Output("labels").Integers);
        Assert.Equal(expected.LogC.ToArray(), gsl.Output("logc").Floats);
    }

    [Fact]
    public void Memory_mapped_files_are_checked_before_use()
    {
        using var gsl = new GslRunner();
        string words = Path.Combine(gsl.Directory, "words.npy");
        NpyTestFiles.WriteRaw(words, $"{{'descr': '<u2', 'fortran_order': False, 'shape': ({N}, {K}), }}", new byte[N * K * 2]);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", words, "--backend", "cpu"));
        Assert.Contains("--dtype bfloat16", gsl.Stderr, StringComparison.Ordinal);

        string doubles = Path.Combine(gsl.Directory, "doubles.npy");
        NpyTestFiles.WriteFloat64(doubles, new double[N * K], [N, K]);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", doubles, "--dtype", "bfloat16", "--backend", "cpu"));
        Assert.Contains("'<f8' cannot be streamed", gsl.Stderr, StringComparison.Ordinal);

        string fortran = Path.Combine(gsl.Directory, "fortran.npy");
        NpyTestFiles.WriteRaw(fortran, $"{{'descr': '<f4', 'fortran_order': True, 'shape': ({N}, {K}), }}", new byte[N * K * 4]);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", fortran, "--backend", "cpu"));
        Assert.Contains("Fortran", gsl.Stderr, StringComparison.Ordinal);

        string truncated = Path.Combine(gsl.Directory, "short.npy");
        NpyTestFiles.WriteRaw(truncated, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({N}, {K}), }}", new byte[100]);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", truncated, "--backend", "cpu"));

        string float32 = gsl.Input("f32", TestData.Logits(N, K, seed: 52), N, K);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", float32, "--dtype", "bfloat16", "--backend", "cpu"));
        Assert.Contains("holds float32", gsl.Stderr, StringComparison.Ordinal);

        using (var mapped = NpyMappedArray.Open(float32))
        {
            Assert.Equal(DType.Float32, mapped.Tensor.DType);
            Assert.Equal(TestData.Logits(N, K, seed: 52), mapped.Tensor.ToArray());
        }

        var nan = TestData.Logits(N, K, seed: 53);
        nan[(5 * K) + 3] = float.NaN;
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", gsl.Input("nan", nan, N, K), "--backend", "cpu"));
        Assert.Contains("row 5", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Features_and_classifier_files_give_the_library_solution()
    {
        const int d = 5;
        using var gsl = new GslRunner();
        var x = TestData.Logits(N, d, seed: 54, scale: 1);
        var w = TestData.Logits(d, K, seed: 55, scale: 1);
        var b = TestData.Logits(1, K, seed: 56, scale: 1);
        Assert.Equal(0, gsl.Run(
            "sinkhorn", "--features", gsl.Input("x", x, N, d), "--weights", gsl.Input("w", w, d, K), "--bias", gsl.Input("b", b, K),
            "--chunk-rows", "16", "--out", gsl.OutDir, "--backend", "cpu", "--quiet"));
        Assert.Contains("recomputed per chunk", gsl.Stdout, StringComparison.Ordinal);

        using var features = Backend.Cpu.FromArray(x, N, d);
        using var weights = Backend.Cpu.FromArray(w, d, K);
        using var bias = Backend.Cpu.FromArray(b, K);
        using var expected = Sinkhorn.SeLa(SinkhornProblem.FromFeatures(features, weights, bias), new SinkhornOptions(ChunkRows: 16));
        Assert.Equal(expected.Labels, gsl.Output("labels").Integers);

        Assert.Equal(2, gsl.Run("sinkhorn", "--features", gsl.Input("x2", x, N, d), "--backend", "cpu"));
        Assert.Contains("--weights", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Synthetic_problem_is_deterministic_balanced_and_reported_as_json()
    {
        using var gsl = new GslRunner();
        string[] args = ["sinkhorn", "--n", "6000", "--k", "30", "--heads", "2", "--seed", "3", "--dtype", "bfloat16", "--json", "--backend", "cpu", "--quiet", "--out", gsl.OutDir];
        Assert.Equal(0, gsl.Run(args));
        var report = JsonNode.Parse(gsl.Stdout)!;
        Assert.Equal("bfloat16", (string?)report["dtype"]);
        Assert.Equal(2, report["iterations"]!.AsArray().Count);
        Assert.Equal([true, true], report["converged"]!.AsArray().Select(c => (bool)c!));
        Assert.True((double)report["seconds_per_iteration"]! > 0);
        Assert.True((double)report["gigabytes_per_second"]! > 0);
        foreach (var head in report["balance"]!.AsArray())
        {
            // N/K = 200: the equipartition keeps every cluster within a few percent.
            Assert.InRange((long)head!["min"]!, 180, 200);
            Assert.InRange((long)head["max"]!, 200, 220);
            Assert.Equal(0, (long)head["empty"]!);
        }

        var labels = gsl.Output("labels");
        Assert.Equal([2L, 6000], labels.Shape);
        Assert.Equal(0, gsl.Run([.. args, "--overwrite"]));
        Assert.Equal(labels.Integers, gsl.Output("labels").Integers);
    }

    [Fact]
    public void Synthetic_rows_do_not_depend_on_chunking_or_storage()
    {
        const int heads = 2, rows = 50, columns = 37;
        using var whole = SyntheticScores.Generate(heads, rows, columns, seed: 9, DType.Float32);
        using var bf16 = SyntheticScores.Generate(heads, rows, columns, seed: 9, DType.BFloat16);
        var values = whole.ToArray();
        var row = new float[columns];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < rows; i += 7)
            {
                SyntheticScores.Row(9, h, i, row);
                Assert.Equal(row, values.AsSpan(((h * rows) + i) * columns, columns).ToArray());
            }
        }

        var bits = new ushort[heads * rows * columns];
        Backend.Cpu.Download(bf16.Buffer, bf16.ByteOffset, MemoryMarshal.AsBytes(bits.AsSpan()));
        Assert.Equal(Array.ConvertAll(values, StorageConversion.SingleToBFloat16), bits);
        Assert.All(values, v => Assert.InRange(v, -SyntheticScores.Noise, (2 * SyntheticScores.Preference) + SyntheticScores.Noise));
        using var other = SyntheticScores.Generate(heads, rows, columns, seed: 10, DType.Float32);
        Assert.NotEqual(values, other.ToArray());
    }

    [Fact]
    public void Usage_errors_exit_2_and_name_the_argument()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(N, K, seed: 57), N, K);
        Assert.Equal(2, gsl.Run("sinkhorn", "--backend", "cpu"));
        Assert.Contains("exactly one of", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", z, "--n", "10", "--k", "3", "--backend", "cpu"));
        Assert.Equal(2, gsl.Run("sinkhorn", "--n", "10", "--backend", "cpu"));
        Assert.Equal(2, gsl.Run("sinkhorn", "--n", "10", "--k", "1", "--backend", "cpu"));
        Assert.Contains("'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("sinkhorn", "--n", "10", "--k", "3", "--dtype", "float8", "--backend", "cpu"));
        Assert.Contains("'dtype'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", z, "--memory-budget", "2K", "--backend", "cpu"));
        Assert.Contains("'memory-budget'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", z, "--memory-budget", "lots", "--backend", "cpu"));
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", z, "--lambda", "0", "--backend", "cpu"));
        Assert.Contains("'lambda'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("sinkhorn", "--logits", Path.Combine(gsl.Directory, "missing.npy"), "--backend", "cpu"));
        Assert.Contains("does not exist", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));

        // Codes of 1M × 600 would be 2.2 GiB: refused before anything is computed, unless forced.
        string x = gsl.Input("x", new float[1_000_000], 1_000_000, 1);
        string w = gsl.Input("w", new float[600], 1, 600);
        Assert.Equal(2, gsl.Run("sinkhorn", "--features", x, "--weights", w, "--codes", "--out", gsl.OutDir, "--backend", "cpu"));
        Assert.Contains("'codes'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));

        Assert.Equal(512L << 20, SinkhornCommand.ParseBytes("512M"));
        Assert.Equal(3L << 30, SinkhornCommand.ParseBytes("3g"));
        Assert.Equal(1000L, SinkhornCommand.ParseBytes("1000"));
    }

    [Fact]
    public void Cancelled_run_writes_nothing_and_exits_1()
    {
        using var gsl = new GslRunner();
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.Equal(1, gsl.Run(source.Token, "sinkhorn", "--n", "2000", "--k", "20", "--out", gsl.OutDir, "--backend", "cpu", "--quiet"));
        Assert.Contains("cancelled", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));
    }
}
