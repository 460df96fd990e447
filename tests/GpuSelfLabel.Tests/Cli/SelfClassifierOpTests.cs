using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl op self-classifier</c> as cli.md's table describes it.</summary>
public sealed class SelfClassifierOpTests
{
    [Fact]
    public void Writes_loss_and_dlogits_matching_the_reference()
    {
        using var gsl = new GslRunner();
        const int views = 3, n = 6, c = 4;
        var s = TestData.Logits(views * n, c, seed: 5, scale: 0.5);
        var x = Float64.Widen(s);
        string logits = gsl.Input("logits", s, views, n, c);
        Assert.Equal(0, gsl.Run("op", "self-classifier", "--logits", logits, "--out", gsl.OutDir, "--backend", "cpu"));
        var loss = gsl.Output("loss");
        Assert.Empty(loss.Shape);
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.1, 0.05, views), loss.Floats![0], "loss", relative: 1e-6);
        var dlogits = gsl.Output("dlogits");
        Assert.Equal([views, n, c], dlogits.Shape);
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.1, 0.05, views), dlogits.Floats, "dlogits");

        Assert.Equal(0, gsl.Run("op", "self-classifier", "--logits", logits, "--out", gsl.OutDir, "--tau-row", "0.2", "--tau-col", "0.1", "--global-views", "1", "--overwrite"));
        Approx.Scalar(SelfClassifierReference.Loss(x, views, n, c, 0.2, 0.1, 1), gsl.Output("loss").Floats![0], "loss", relative: 1e-6);
        Approx.Elementwise(SelfClassifierReference.Gradient(x, views, n, c, 0.2, 0.1, 1), gsl.Output("dlogits").Floats, "dlogits");
    }

    [Fact]
    public void Epsilon_is_taken_from_the_command_line_and_checked_against_its_range()
    {
        using var gsl = new GslRunner();
        const int views = 3, n = 16, c = 7;
        var s = TestData.Logits(views * n, c, seed: 4711, scale: 8.0);
        string logits = gsl.Input("logits", s, views, n, c);
        Assert.Equal(0, gsl.Run("op", "self-classifier", "--logits", logits, "--out", gsl.OutDir, "--epsilon", "1e-8"));
        Approx.Scalar(SelfClassifierReference.Loss(Float64.Widen(s), views, n, c, 0.1, 0.05, views, 1e-8), gsl.Output("loss").Floats![0], "loss", relative: 1e-6);

        string other = Path.Combine(gsl.Directory, "other");
        foreach (var bad in (string[])["0", "-1e-8", "1e-45", "2", "NaN"])
        {
            Assert.Equal(2, gsl.Run("op", "self-classifier", "--logits", logits, "--out", other, "--epsilon", bad));
            Assert.Contains("argument 'epsilon'", gsl.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(other));
        }
    }

    [Fact]
    public void Bad_parameters_and_data_are_exit_2_naming_the_argument()
    {
        using var gsl = new GslRunner();
        var s = TestData.Logits(2 * 3, 4, seed: 1);
        string logits = gsl.Input("logits", s, 2, 3, 4);
        Assert.Equal(2, gsl.Run("op", "self-classifier", "--logits", logits, "--out", gsl.OutDir, "--global-views", "3"));
        Assert.Contains("'global-views'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "self-classifier", "--logits", logits, "--out", gsl.OutDir, "--tau-row", "0"));
        Assert.Contains("'tau-row'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "self-classifier", "--logits", gsl.Input("flat", s, 6, 4), "--out", gsl.OutDir));
        Assert.Contains("'logits'", gsl.Stderr, StringComparison.Ordinal);
        s[(4 * 4) + 3] = float.NaN;
        Assert.Equal(2, gsl.Run("op", "self-classifier", "--logits", gsl.Input("nan", s, 2, 3, 4), "--out", gsl.OutDir));
        Assert.Contains("argument 'logits', row 4: view 1, sample 1", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }
}
