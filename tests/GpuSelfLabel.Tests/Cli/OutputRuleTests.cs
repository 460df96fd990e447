using GpuSelfLabel.Cli;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Cli.Ops;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// cli.md's output rule: --out DIR receives the whole output set of one run or nothing; DIR must be new
/// or empty unless --overwrite, which replaces a directory of gsl outputs as a whole.
/// </summary>
public sealed class OutputRuleTests
{
    [Fact]
    public void A_non_empty_out_is_refused_without_overwrite_and_left_as_it_was()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 4, seed: 7), 6, 4);
        Directory.CreateDirectory(gsl.OutDir);
        File.WriteAllText(Path.Combine(gsl.OutDir, "old.npy"), "old");
        foreach (var command in (string[][])[
            ["op", "softmax", "--logits", z],
            ["sinkhorn", "--logits", z, "--quiet"],
            ["cluster", "--features", z, "--k", "2", "--epochs", "1", "--quiet"]])
        {
            Assert.Equal(2, gsl.Run([.. command, "--out", gsl.OutDir, "--backend", "cpu"]));
            Assert.Contains("argument 'out'", gsl.Stderr, StringComparison.Ordinal);
            Assert.Contains("--overwrite", gsl.Stderr, StringComparison.Ordinal);
            Assert.Equal(["old.npy"], Directory.GetFileSystemEntries(gsl.OutDir).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void Overwrite_replaces_the_whole_set_so_no_stale_codes_survive()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 4, seed: 8), 6, 4);
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", z, "--codes", "--out", gsl.OutDir));
        Assert.True(File.Exists(Path.Combine(gsl.OutDir, "codes.npy")));
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", z, "--out", gsl.OutDir, "--overwrite"));
        Assert.Equal(["converged.npy", "iterations.npy", "labels.npy", "logc.npy", "logr.npy"], Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName).Order());

        Assert.Equal(0, gsl.Run("sinkhorn", "--logits", z, "--codes", "--quiet", "--out", gsl.OutDir, "--overwrite", "--backend", "cpu"));
        Assert.True(File.Exists(Path.Combine(gsl.OutDir, "codes.npy")));
        Assert.Equal(0, gsl.Run("op", "softmax", "--logits", z, "--out", gsl.OutDir, "--overwrite"));
        Assert.Equal(["probs.npy"], Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(gsl.Directory, ".out.gsl-*"));
    }

    [Fact]
    public void An_out_with_a_trailing_slash_names_that_directory_as_the_readme_writes_it()
    {
        // "--out out/" is the README's own example; the staging directory's name was once taken from
        // the empty name after the slash, and every such run failed after all its work.
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 4, seed: 10), 6, 4);
        string slashed = gsl.OutDir + Path.DirectorySeparatorChar;
        foreach (var command in (string[][])[
            ["op", "softmax", "--logits", z],
            ["sinkhorn", "--logits", z, "--quiet"],
            ["cluster", "--features", z, "--k", "2", "--epochs", "1", "--quiet"]])
        {
            Assert.True(gsl.Run([.. command, "--out", slashed, "--backend", "cpu"]) == 0, gsl.Stderr);
            Assert.True(gsl.Run([.. command, "--out", slashed, "--overwrite", "--backend", "cpu"]) == 0, gsl.Stderr);
            Assert.NotEmpty(Directory.GetFiles(gsl.OutDir, "*.npy"));
            Directory.Delete(gsl.OutDir, recursive: true);
        }

        Assert.Empty(Directory.GetFileSystemEntries(gsl.Directory, ".out*"));
    }

    [Fact]
    public void An_out_below_an_existing_file_is_refused_before_any_work()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 4, seed: 11), 6, 4);
        string file = Path.Combine(gsl.Directory, "plain.txt");
        File.WriteAllText(file, "x");
        Assert.Equal(2, gsl.Run("cluster", "--features", z, "--k", "2", "--out", Path.Combine(file, "sub", "run"), "--backend", "cpu"));
        Assert.Equal($"gsl: argument 'out': '{Path.Combine(file, "sub", "run")}' lies below '{file}', an existing file, not a directory", gsl.Stderr.Trim());
    }

    [Fact]
    public void Overwrite_refuses_a_directory_holding_anything_gsl_does_not_write()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 4, seed: 9), 6, 4);
        Directory.CreateDirectory(Path.Combine(gsl.OutDir, "logr.npy"));
        Assert.Equal(2, gsl.Run("op", "sinkhorn", "--logits", z, "--out", gsl.OutDir, "--overwrite"));
        Assert.Contains("'logr.npy'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(["logr.npy"], Directory.GetFileSystemEntries(gsl.OutDir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(gsl.OutDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_failure_while_writing_leaves_no_new_files_and_the_old_set_in_place()
    {
        using var gsl = new GslRunner();
        Directory.CreateDirectory(gsl.OutDir);
        File.WriteAllText(Path.Combine(gsl.OutDir, "labels.npy"), "old");
        var set = new OutputSet();
        set.Add("labels", NpyArray.ScalarInteger(3));
        set.Add("codes", NpyArray.ScalarInteger(4));

        // The second file of one name fails to be created (IOException), as a full disk would fail a write.
        set.Add("codes", NpyArray.ScalarInteger(5));
        var error = Assert.Throws<UsageException>(() => set.Commit(gsl.OutDir, overwrite: true));
        Assert.Contains("argument 'out'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["out"], Directory.GetFileSystemEntries(gsl.Directory).Select(Path.GetFileName).Where(n => n!.Contains("out", StringComparison.Ordinal)));
        Assert.Equal("old", File.ReadAllText(Path.Combine(gsl.OutDir, "labels.npy")));
    }

    [Fact]
    public void A_missing_parent_is_created()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(3, 4, seed: 10), 3, 4);
        string target = Path.Combine(gsl.Directory, "a", "b", "out");
        Assert.Equal(0, gsl.Run("op", "softmax", "--logits", z, "--out", target));
        Assert.Equal(["probs.npy"], Directory.GetFiles(target).Select(Path.GetFileName));
    }
}
