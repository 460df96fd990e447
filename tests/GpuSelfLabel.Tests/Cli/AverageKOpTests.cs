using System.Runtime.InteropServices;
using GpuSelfLabel.Tests.Infrastructure;
using GpuSelfLabel.Tests.References;

namespace GpuSelfLabel.Tests.Cli;

/// <summary><c>gsl op avgk-threshold | avgk-pseudo-labels | two-head-loss</c> as cli.md's table describes them.</summary>
public sealed class AverageKOpTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Threshold_writes_threshold_accuracy_and_mean_set_size(bool int32Labels)
    {
        using var gsl = new GslRunner();
        const int n = 33, l = 10;
        var scores = TestData.Logits(n, l, seed: 4);
        var labels = TestData.Labels(n, l, seed: 4);
        var expected = AverageKReference.Threshold(scores, n, l, 2.5, labels);
        Assert.Equal(0, gsl.Run("op", "avgk-threshold", "--scores", gsl.Input("s", scores, n, l), "--labels", LabelFile(gsl, labels, int32Labels), "--k", "2.5", "--out", gsl.OutDir, "--backend", "cpu"));
        Approx.Scalar(expected.Threshold, gsl.Output("threshold").Floats![0], "threshold", relative: 1e-7);
        Approx.Scalar(expected.Accuracy, gsl.Output("accuracy").Floats![0], "accuracy", relative: 1e-7);
        Approx.Scalar(expected.MeanSetSize, gsl.Output("mean-set-size").Floats![0], "mean-set-size", relative: 1e-7);
        Assert.Empty(gsl.Output("threshold").Shape);
    }

    [Fact]
    public void Threshold_without_labels_writes_no_accuracy()
    {
        using var gsl = new GslRunner();
        var scores = TestData.Logits(7, 3, seed: 1);
        Assert.Equal(0, gsl.Run("op", "avgk-threshold", "--scores", gsl.Input("s", scores, 7, 3), "--k", "1", "--out", gsl.OutDir));
        Assert.True(File.Exists(Path.Combine(gsl.OutDir, "threshold.npy")));
        Assert.True(File.Exists(Path.Combine(gsl.OutDir, "mean-set-size.npy")));
        Assert.False(File.Exists(Path.Combine(gsl.OutDir, "accuracy.npy")));
    }

    [Theory]
    [InlineData("true-plus-top", false)]
    [InlineData("top-then-true", true)]
    public void Pseudo_labels_write_0_1_targets(string rule, bool int32Labels)
    {
        using var gsl = new GslRunner();
        const int b = 9, l = 5;
        var p = TestData.Distributions(b, l, seed: 3);
        var labels = TestData.Labels(b, l, seed: 3);
        Assert.Equal(0, gsl.Run("op", "avgk-pseudo-labels", "--probs", gsl.Input("p", p, b, l), "--labels", LabelFile(gsl, labels, int32Labels), "--k", "2.2", "--rule", rule, "--out", gsl.OutDir));
        var targets = gsl.Output("targets");
        Assert.Equal([b, l], targets.Shape);
        var expected = AverageKReference.PseudoLabels(Float64.Widen(p), b, l, labels, 2.2, rule == "true-plus-top");
        Assert.Equal(expected.Select(v => (float)v).ToArray(), targets.Floats);
    }

    [Fact]
    public void Pseudo_labels_default_rule_is_true_plus_top()
    {
        using var gsl = new GslRunner();
        const int b = 6, l = 4;
        var p = TestData.Distributions(b, l, seed: 8);
        var labels = TestData.Labels(b, l, seed: 8);
        Assert.Equal(0, gsl.Run("op", "avgk-pseudo-labels", "--probs", gsl.Input("p", p, b, l), "--labels", LabelFile(gsl, labels, false), "--k", "1.5", "--out", gsl.OutDir));
        var expected = AverageKReference.PseudoLabels(Float64.Widen(p), b, l, labels, 1.5, truePlusTop: true);
        Assert.Equal(expected.Select(v => (float)v).ToArray(), gsl.Output("targets").Floats);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_head_loss_writes_loss_and_both_gradients(bool int32Labels)
    {
        using var gsl = new GslRunner();
        const int b = 7, l = 6;
        const double k = 2.0, mu = 0.7;
        var a = TestData.Logits(b, l, seed: 1);
        var m = TestData.Logits(b, l, seed: 2);
        var labels = TestData.Labels(b, l, seed: 3);
        Assert.Equal(0, gsl.Run(
            "op", "two-head-loss", "--logits-softmax", gsl.Input("a", a, b, l), "--logits-multilabel", gsl.Input("m", m, b, l),
            "--labels", LabelFile(gsl, labels, int32Labels), "--k", "2", "--mu", "0.7", "--out", gsl.OutDir));
        var a64 = Float64.Widen(a);
        var m64 = Float64.Widen(m);
        var z = AverageKReference.TwoHeadTargets(a64, b, l, labels, k);
        var (ds, dm) = AverageKReference.TwoHeadGradients(a64, m64, b, l, labels, z, mu);
        Approx.Scalar(AverageKReference.TwoHeadLoss(a64, m64, b, l, labels, z, mu), gsl.Output("loss").Floats![0], "loss", relative: 1e-6);
        Approx.Elementwise(ds, gsl.Output("dsoftmax").Floats, "dsoftmax");
        Approx.Elementwise(dm, gsl.Output("dmultilabel").Floats, "dmultilabel");
    }

    [Fact]
    public void Missing_k_is_exit_2_naming_k_for_every_op()
    {
        using var gsl = new GslRunner();
        string s = gsl.Input("s", TestData.Distributions(4, 3, seed: 1), 4, 3);
        string labels = LabelFile(gsl, [0, 1, 2, 0], false);
        Assert.Equal(2, gsl.Run("op", "avgk-threshold", "--scores", s, "--out", gsl.OutDir));
        Assert.Contains("'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "avgk-pseudo-labels", "--probs", s, "--labels", labels, "--out", gsl.OutDir));
        Assert.Contains("'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "two-head-loss", "--logits-softmax", s, "--logits-multilabel", s, "--labels", labels, "--out", gsl.OutDir));
        Assert.Contains("'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }

    [Fact]
    public void Bad_input_is_exit_2_naming_the_argument()
    {
        using var gsl = new GslRunner();
        string s = gsl.Input("s", TestData.Distributions(4, 3, seed: 1), 4, 3);
        string labels = LabelFile(gsl, [0, 1, 2, 0], true);
        Assert.Equal(2, gsl.Run("op", "avgk-pseudo-labels", "--probs", s, "--labels", labels, "--k", "1.5", "--rule", "top", "--out", gsl.OutDir));
        Assert.Contains("'rule'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "avgk-threshold", "--scores", s, "--k", "3", "--out", gsl.OutDir));
        Assert.Contains("'k'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "avgk-threshold", "--scores", s, "--labels", LabelFile(gsl, [0, 1, 3, 0], true), "--k", "1", "--out", gsl.OutDir));
        Assert.Contains("argument 'labels', row 2", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "avgk-pseudo-labels", "--probs", s, "--labels", s, "--k", "1.5", "--out", gsl.OutDir));
        Assert.Contains("'labels'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "two-head-loss", "--logits-softmax", s, "--logits-multilabel", s, "--labels", labels, "--k", "1.5", "--mu", "-1", "--out", gsl.OutDir));
        Assert.Contains("'mu'", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op", "two-head-loss", "--logits-softmax", s, "--labels", labels, "--k", "1.5", "--out", gsl.OutDir));
        Assert.Contains("'logits-multilabel'", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any());
    }

    /// <summary>A labels file in int64 (what gsl writes) or int32 (what many tools write).</summary>
    private static string LabelFile(GslRunner gsl, int[] labels, bool int32)
    {
        string name = $"labels-{Guid.NewGuid():N}";
        if (!int32)
        {
            return gsl.Input(name, labels.Select(v => (long)v).ToArray(), labels.Length);
        }

        string path = Path.Combine(gsl.Directory, name + ".npy");
        NpyTestFiles.WriteRaw(path, $"{{'descr': '<i4', 'fortran_order': False, 'shape': ({labels.Length},), }}", MemoryMarshal.AsBytes(labels.AsSpan()).ToArray());
        return path;
    }
}
