using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>cli.md's common rules, exercised through <c>gsl op softmax</c>.</summary>
public sealed class OpCommandTests
{
    [Fact]
    public void Softmax_writes_probs_matching_the_reference()
    {
        using var gsl = new GslRunner();
        var z = TestData.Logits(7, 3, seed: 2);
        Assert.Equal(0, gsl.Run("op", "softmax", "--logits", gsl.Input("z", z, 7, 3), "--out", gsl.OutDir, "--backend", "cpu"));
        var probs = gsl.Output("probs");
        Assert.Equal([7L, 3L], probs.Shape);
        Approx.Elementwise(Float64.Softmax(Float64.Widen(z), 7, 3), probs.Floats, "probs");
    }

    [Fact]
    public void Non_finite_input_is_exit_2_naming_argument_and_row_with_no_output()
    {
        using var gsl = new GslRunner();
        var z = TestData.Logits(4, 3, seed: 2);
        z[7] = float.PositiveInfinity;
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", gsl.Input("z", z, 4, 3), "--out", gsl.OutDir));
        Assert.Contains("argument 'logits', row 2", gsl.Stderr, StringComparison.Ordinal);
        Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }

    [Fact]
    public void Missing_input_and_bad_parameters_are_exit_2()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("op", "softmax", "--out", gsl.OutDir));
        Assert.Contains("'logits'", gsl.Stderr, StringComparison.Ordinal);
        string z = gsl.Input("z", TestData.Logits(2, 3, seed: 1), 2, 3);
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", z, "--out", gsl.OutDir, "--temperature", "0"));
        Assert.Contains("'temperature'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", z, "--out", gsl.OutDir, "--backend", "tpu"));
        Assert.Contains("'backend'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "no-such-op"));
    }

    [Fact]
    public void Float64_and_version_2_files_are_read()
    {
        using var gsl = new GslRunner();
        string path = Path.Combine(gsl.Directory, "z64.npy");
        NpyTestFiles.WriteFloat64(path, [1, 2, 3, 4, 5, 6], [2, 3], version: 2);
        Assert.Equal(0, gsl.Run("op", "softmax", "--logits", path, "--out", gsl.OutDir));
        Approx.Elementwise(Float64.Softmax([1, 2, 3, 4, 5, 6], 2, 3), gsl.Output("probs").Floats, "probs");
    }

    [Fact]
    public void Fortran_order_and_unsupported_dtypes_are_clear_errors()
    {
        using var gsl = new GslRunner();
        string fortran = Path.Combine(gsl.Directory, "f.npy");
        NpyTestFiles.WriteRaw(fortran, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]);
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", fortran, "--out", gsl.OutDir));
        Assert.Contains("Fortran", gsl.Stderr, StringComparison.Ordinal);

        string bytes = Path.Combine(gsl.Directory, "u1.npy");
        NpyTestFiles.WriteRaw(bytes, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", new byte[4]);
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", bytes, "--out", gsl.OutDir));
        Assert.Contains("|u1", gsl.Stderr, StringComparison.Ordinal);

        string big = Path.Combine(gsl.Directory, "be.npy");
        NpyTestFiles.WriteRaw(big, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", new byte[16]);
        Assert.Equal(2, gsl.Run("op", "softmax", "--logits", big, "--out", gsl.OutDir));
        Assert.Contains("big-endian", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Devices_lists_every_backend()
    {
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("devices"));
        Assert.Contains("cpu", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains("opencl", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains("cuda", gsl.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, gsl.Run("devices", "--json"));
        Assert.StartsWith("{", gsl.Stdout, StringComparison.Ordinal);
    }
}
