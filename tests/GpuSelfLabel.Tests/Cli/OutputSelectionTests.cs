using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl op … --outputs NAME,NAME</c>: only the named outputs are written.</summary>
public sealed class OutputSelectionTests
{
    [Fact]
    public void Only_the_named_outputs_are_written_and_they_equal_the_full_run()
    {
        using var gsl = new GslRunner();
        const int n = 5, k = 4;
        string z = gsl.Input("z", TestData.Logits(n, k, seed: 31), n, k);
        string y = gsl.Input("y", TestData.Distributions(n, k, seed: 32), n, k);
        string all = Path.Combine(gsl.Directory, "all");
        Assert.Equal(0, gsl.Run("op", "collision-ce", "--logits", z, "--targets", y, "--out", all));
        Assert.Equal(0, gsl.Run("op", "collision-ce", "--logits", z, "--targets", y, "--out", gsl.OutDir, "--outputs", "loss, dlogits"));

        Assert.Equal(["dlogits.npy", "loss.npy"], Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in (string[])["loss.npy", "dlogits.npy"])
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(all, name)), File.ReadAllBytes(Path.Combine(gsl.OutDir, name)));
        }
    }

    [Fact]
    public void An_unknown_name_is_a_usage_error_listing_the_valid_names_and_writes_nothing()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(3, 4, seed: 33), 3, 4);
        string y = gsl.Input("y", TestData.Distributions(3, 4, seed: 34), 3, 4);
        Assert.Equal(2, gsl.Run("op", "collision-ce", "--logits", z, "--targets", y, "--out", gsl.OutDir, "--outputs", "loss,grad"));
        string line = Assert.Single(gsl.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("argument 'outputs'", line, StringComparison.Ordinal);
        Assert.Contains("'grad'", line, StringComparison.Ordinal);
        Assert.Contains("loss, losses, dlogits, dtargets", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir));
    }

    [Fact]
    public void Naming_codes_asks_sinkhorn_for_them_and_an_output_the_run_cannot_produce_is_refused()
    {
        using var gsl = new GslRunner();
        string z = gsl.Input("z", TestData.Logits(6, 3, seed: 35), 6, 3);
        Assert.Equal(0, gsl.Run("op", "sinkhorn", "--logits", z, "--out", gsl.OutDir, "--outputs", "codes"));
        Assert.Equal(["codes.npy"], Directory.GetFiles(gsl.OutDir).Select(Path.GetFileName));

        string scores = gsl.Input("s", TestData.Logits(6, 3, seed: 36), 6, 3);
        string other = Path.Combine(gsl.Directory, "other");
        Assert.Equal(2, gsl.Run("op", "avgk-threshold", "--scores", scores, "--k", "1.5", "--out", other, "--outputs", "accuracy"));
        Assert.Contains("argument 'outputs'", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(other));
    }
}
