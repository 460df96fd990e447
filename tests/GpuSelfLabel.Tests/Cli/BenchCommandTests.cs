using System.Text.Json;
using System.Xml.Linq;
using GpuSelfLabel.Benchmarking;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl bench</c> on tiny sizes: the JSON keys, the table, the SVG, and exit 2 on bad options.</summary>
public sealed class BenchCommandTests
{
    private static readonly string[] Tiny = ["bench", "--backend", "cpu", "--sizes", "33x10,7x3", "--repeat", "1", "--warmup", "0", "--warmup-seconds", "0", "--bandwidth-mib", "1"];

    [Fact]
    public void Json_has_the_bandwidth_and_one_result_per_operation_and_size()
    {
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run([.. Tiny, "--json"]));
        using var json = JsonDocument.Parse(gsl.Stdout);
        var root = json.RootElement;
        Assert.Equal("cpu", root.GetProperty("backend").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetString()));
        var bandwidth = root.GetProperty("bandwidth");
        Assert.True(bandwidth.GetProperty("gb_per_s").GetDouble() > 0);
        Assert.Equal(2 * bandwidth.GetProperty("buffer_bytes").GetInt64(), bandwidth.GetProperty("bytes").GetInt64());

        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(BenchmarkOperations.All.Count * 2, results.Count);
        Assert.Equal(BenchmarkOperations.All.Select(o => o.Name), results.Take(BenchmarkOperations.All.Count).Select(r => r.GetProperty("op").GetString()));
        foreach (var r in results)
        {
            foreach (var key in new[] { "scope", "rows", "columns", "bytes", "bytes_model", "median_s", "min_s", "gb_per_s", "fraction_of_bandwidth", "error" })
            {
                Assert.True(r.TryGetProperty(key, out _), $"result lacks '{key}'");
            }

            Assert.Equal(JsonValueKind.Null, r.GetProperty("error").ValueKind);
            Assert.True(r.GetProperty("median_s").GetDouble() > 0);
            Assert.True(r.GetProperty("fraction_of_bandwidth").GetDouble() > 0);
        }

        var softmax = results.First(r => r.GetProperty("op").GetString() == "softmax");
        Assert.Equal(8L * 33 * 10, softmax.GetProperty("bytes").GetInt64());
        Assert.Equal("kernel", softmax.GetProperty("scope").GetString());
        var collision = results.First(r => r.GetProperty("op").GetString() == "collision-ce");
        Assert.Equal((16L * 33 * 10) + (4 * 33), collision.GetProperty("bytes").GetInt64());
        Assert.Equal("operation", results.First(r => r.GetProperty("op").GetString() == "swav-sinkhorn").GetProperty("scope").GetString());
    }

    [Fact]
    public void Table_names_every_operation_and_the_svg_is_well_formed()
    {
        using var gsl = new GslRunner();
        string svg = Path.Combine(gsl.Directory, "chart", "roofline.svg");
        Assert.Equal(0, gsl.Run([.. Tiny, "--ops", "copy,softmax,collision-ce", "--svg", svg]));
        Assert.Contains("GB/s", gsl.Stdout, StringComparison.Ordinal);
        foreach (var name in new[] { "copy", "softmax", "collision-ce" })
        {
            Assert.Contains(name, gsl.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("cross-entropy ", gsl.Stdout, StringComparison.Ordinal);
        var document = XDocument.Load(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", document.Root!.Name);

        // One bar per operation and size, each with a tooltip naming it.
        var bars = document.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        Assert.Equal(6, bars.Count);
        Assert.Contains(bars, b => b.Element(ns + "title")!.Value.StartsWith("collision-ce 33x10", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10x")]
    [InlineData("x10")]
    [InlineData("0x10")]
    [InlineData("10x1")]
    [InlineData("10x10,abc")]
    [InlineData("-5x10")]
    public void Bad_sizes_are_exit_2_naming_sizes(string sizes)
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("bench", "--backend", "cpu", "--sizes", sizes));
        Assert.Contains("'sizes'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.Empty(gsl.Stdout);
    }

    [Fact]
    public void Bad_ops_and_counts_are_exit_2_naming_the_option()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("bench", "--backend", "cpu", "--ops", "softmax,nope"));
        Assert.Contains("'ops'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("bench", "--backend", "cpu", "--repeat", "0"));
        Assert.Contains("'repeat'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("bench", "--backend", "cpu", "--warmup-seconds", "-1"));
        Assert.Contains("'warmup-seconds'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("bench", "--backend", "cpu", "--bandwidth-mib", "0"));
        Assert.Contains("'bandwidth-mib'", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_svg_path_that_cannot_be_written_is_refused_before_the_run()
    {
        using var gsl = new GslRunner();
        string[] tiny = ["bench", "--backend", "cpu", "--sizes", "64x8", "--ops", "softmax", "--repeat", "1", "--warmup", "0", "--warmup-seconds", "0", "--bandwidth-mib", "1"];
        Directory.CreateDirectory(gsl.OutDir);
        Assert.Equal(2, gsl.Run([.. tiny, "--svg", gsl.OutDir]));
        Assert.StartsWith("gsl: argument 'svg': ", Assert.Single(gsl.Stderr.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run([.. tiny, "--svg", "/proc/gsl-roofline.svg"]));
        Assert.StartsWith("gsl: argument 'svg': cannot write", Assert.Single(gsl.Stderr.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Empty(gsl.Stdout);

        // A folder that does not exist yet is made, and only the chart is left there (no staging file).
        string nested = Path.Combine(gsl.OutDir, "a", "b", "chart.svg");
        Assert.Equal(0, gsl.Run([.. tiny, "--svg", nested, "--json"]));
        Assert.Equal(["chart.svg"], Directory.GetFileSystemEntries(Path.GetDirectoryName(nested)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Help_documents_the_bytes_model()
    {
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("bench", "--help"));
        foreach (var op in BenchmarkOperations.All)
        {
            Assert.Contains($"{op.Name}: {op.BytesModel}", gsl.Stdout, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void OpenCl_backend_runs_the_copy_kernel_and_a_kernel_operation()
    {
        BackendTestBase.RequireOrSkip("opencl", GpuSelfLabel.Backends.BackendRegistry.Probe().Any(s => s.Name == "opencl" && s.Available), "no OpenCL device");
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("bench", "--backend", "opencl", "--sizes", "33x10", "--ops", "copy,softmax,sinkhorn", "--repeat", "1", "--warmup-seconds", "0", "--bandwidth-mib", "1", "--json"));
        using var json = JsonDocument.Parse(gsl.Stdout);
        Assert.Equal("opencl", json.RootElement.GetProperty("backend").GetString());
        Assert.Contains("copy_stream", json.RootElement.GetProperty("bandwidth").GetProperty("method").GetString(), StringComparison.Ordinal);
        Assert.All(json.RootElement.GetProperty("results").EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("error").ValueKind));
    }
}
