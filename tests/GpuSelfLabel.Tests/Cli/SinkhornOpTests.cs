using System.Text.Json.Nodes;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>cli.md's <c>gsl op sinkhorn</c> and <c>gsl op swav-sinkhorn</c> rows.</summary>
public sealed class SinkhornOpTests
{
    [Fact]
    public void Sinkhorn_2d_writes_every_output_without_a_head_axis()
    {
        const int n = 33, k = 10;
        using var gsl = new GslRunner();
        var z = TestData.Logits(n, k, seed: 6);
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", gsl.Input("z", z, n, k), "--codes", "--out", gsl.OutDir, "--backend", "cpu"));
        var reference = SinkhornReference.SeLa(Float64.Widen(z), n, k, 25);

        var labels = gsl.Output("labels");
        Assert.True(labels.IsInteger);
        Assert.Equal([(long)n], labels.Shape);
        for (int i = 0; i < n; i++)
        {
            Assert.True(reference.NearTie[i] || reference.Labels[i] == labels.Integers![i], $"label of row {i}");
        }

        var iterations = gsl.Output("iterations");
        Assert.True(iterations.IsInteger);
        Assert.Empty(iterations.Shape);
        Assert.Equal(reference.Iterations, iterations.Integers![0]);

        var logr = gsl.Output("logr");
        Assert.Equal([(long)k], logr.Shape);
        Approx.Elementwise(reference.LogR, logr.Floats, "logr");
        var logc = gsl.Output("logc");
        Assert.Equal([(long)n], logc.Shape);
        Approx.Elementwise(reference.LogC, logc.Floats, "logc");
        var codes = gsl.Output("codes");
        Assert.Equal([(long)n, k], codes.Shape);
        Approx.Elementwise(reference.Codes, codes.Floats, "codes");
    }

    [Fact]
    public void Stopping_at_max_iters_before_tol_is_said_on_stderr_and_in_the_outputs()
    {
        const int n = 40, k = 8;
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(n, k, seed: 61, scale: 3), n, k);
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", z, "--out", gsl.OutDir));
        Assert.Equal(1L, gsl.Output("converged").Integers![0]);
        Assert.Equal(string.Empty, gsl.Stderr);

        string stopped = Path.Combine(gsl.Directory, "stopped");
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", z, "--tol", "1e-12", "--max-iters", "2", "--out", stopped));
        Assert.Equal(0L, NpyReader.Read(Path.Combine(stopped, "converged.npy")).Integers![0]);
        string line = Assert.Single(gsl.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--max-iters 2", line, StringComparison.Ordinal);
        Assert.Contains("--tol 1e-12", line, StringComparison.Ordinal);

        string large = Path.Combine(gsl.Directory, "large");
        Assert.Equal(0, gsl.Run("sinkhorn", "--logits", z, "--tol", "1e-12", "--max-iters", "2", "--quiet", "--json", "--backend", "cpu", "--out", large));
        Assert.Equal([false], JsonNode.Parse(gsl.Stdout)!["converged"]!.AsArray().Select(c => (bool)c!));
        Assert.Contains("--max-iters 2", Assert.Single(gsl.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public void Sinkhorn_3d_writes_per_head_outputs_and_codes_only_when_asked()
    {
        const int heads = 3, n = 7, k = 4;
        using var gsl = new GslRunner();
        var z = TestData.Logits(heads * n, k, seed: 13, scale: 2);
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", gsl.Input("z", z, heads, n, k), "--lambda", "10", "--tol", "0.001", "--check-every", "3", "--max-iters", "200", "--out", gsl.OutDir));
        Assert.False(File.Exists(Path.Combine(gsl.OutDir, "codes.npy")));
        var labels = gsl.Output("labels");
        var logr = gsl.Output("logr");
        var logc = gsl.Output("logc");
        var iterations = gsl.Output("iterations");
        Assert.Equal([(long)heads, n], labels.Shape);
        Assert.Equal([(long)heads, k], logr.Shape);
        Assert.Equal([(long)heads, n], logc.Shape);
        Assert.Equal([(long)heads], iterations.Shape);
        Assert.True(iterations.IsInteger);
        for (int h = 0; h < heads; h++)
        {
            var reference = SinkhornReference.SeLa(Float64.Widen(z[(h * n * k)..((h + 1) * n * k)]), n, k, 10, 0.001, 3, 200);
            Assert.Equal(reference.Iterations, iterations.Integers![h]);
            Approx.Elementwise(reference.LogR, logr.Floats.AsSpan(h * k, k), $"logr of head {h}");
            Approx.Elementwise(reference.LogC, logc.Floats.AsSpan(h * n, n), $"logc of head {h}");
            for (int i = 0; i < n; i++)
            {
                Assert.True(reference.NearTie[i] || reference.Labels[i] == labels.Integers![(h * n) + i], $"label of head {h}, row {i}");
            }
        }
    }

    [Fact]
    public void Swav_sinkhorn_writes_codes_matching_the_reference()
    {
        const int b = 20, k = 6;
        using var gsl = new GslRunner();
        var s = TestData.Logits(b, k, seed: 3, scale: 1).Select(v => (float)Math.Tanh(v)).ToArray();
        string scores = gsl.Input("s", s, b, k);
        Assert.Equal(0, gsl.Run("op", "swav-sinkhorn", "--scores", scores, "--out", gsl.OutDir));
        var codes = gsl.Output("codes");
        Assert.Equal([(long)b, k], codes.Shape);
        Approx.Elementwise(SinkhornReference.Swav(Float64.Widen(s), b, k), codes.Floats, "codes");

        Assert.Equal(0, gsl.Run("op", "swav-sinkhorn", "--scores", scores, "--epsilon", "0.1", "--iters", "7", "--out", gsl.OutDir, "--overwrite"));
        Approx.Elementwise(SinkhornReference.Swav(Float64.Widen(s), b, k, 0.1, 7), gsl.Output("codes").Floats, "codes");
    }

    [Fact]
    public void Bad_input_is_exit_2_naming_the_argument()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(5, 3, seed: 1), 5, 3);
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", z, "--lambda", "0", "--out", gsl.OutDir));
        Assert.Contains("'lambda'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", z, "--check-every", "0", "--out", gsl.OutDir));
        Assert.Contains("'check-every'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", z, "--max-iters", "0", "--out", gsl.OutDir));
        Assert.Contains("'max-iters'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", z, "--tol", "-1", "--out", gsl.OutDir));
        Assert.Contains("'tol'", gsl.Stderr, StringComparison.Ordinal);

        var bad = TestData.Logits(2 * 5, 3, seed: 1);
        bad[(7 * 3) + 1] = float.NaN;
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", gsl.Input("bad", bad, 2, 5, 3), "--out", gsl.OutDir));
        Assert.Contains("argument 'logits', row 7", gsl.Stderr, StringComparison.Ordinal);
        Assert.Contains("head 1, row 2", gsl.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, gsl.Run("op", "swav-sinkhorn", "--scores", z, "--epsilon", "0", "--out", gsl.OutDir));
        Assert.Contains("'epsilon'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "swav-sinkhorn", "--scores", z, "--iters", "-1", "--out", gsl.OutDir));
        Assert.Contains("'iters'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "swav-sinkhorn", "--out", gsl.OutDir));
        Assert.Contains("'scores'", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }
}
