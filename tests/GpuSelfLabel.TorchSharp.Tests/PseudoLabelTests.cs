namespace GpuSelfLabel.TorchSharp.Tests;

/// <summary>The pseudo-label solvers on TorchSharp tensors against float64 references of ops.md.</summary>
public sealed class PseudoLabelTests
{
    public static TheoryData<string> Shapes => Input.All;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Em_matches_the_float64_iteration(string shape)
    {
        var (_, z) = Input.Logits(shape).Grad();
        using var noGrad = torch.no_grad();
        var probs = torch.softmax(z, 1);
        var ours = GslPseudoLabels.em(probs, lambda: 1.0, tol: 1e-6, max_iters: 200);
        var expected = References.Em(probs, 1.0, 1e-6, 200);
        Assert.Equal(probs.dtype, ours.dtype);
        Assert.False(ours.requires_grad);
        Torch64.Close(expected, ours);
    }

    [Fact]
    public void Em_takes_a_probability_tensor_that_requires_a_gradient_and_returns_a_detached_one()
    {
        torch.manual_seed(8);
        var logits = torch.randn(50, 4, requires_grad: true);
        var probs = torch.softmax(logits, 1);
        var labels = GslPseudoLabels.em(probs);
        Assert.False(labels.requires_grad);
        Torch64.Close(torch.ones(50, torch.ScalarType.Float64), labels.sum(1));
    }

    [Theory]
    [InlineData(1000, 10, 1)]
    [InlineData(257, 3, 1)]
    [InlineData(300, 7, 3)]
    public void Sela_labels_match_the_float64_reference_per_head(int n, int k, int heads)
    {
        torch.manual_seed(9);
        var logits = heads == 1 ? torch.randn(n, k) * 2 : torch.randn(heads, n, k) * 2;
        var labels = GslPseudoLabels.sela(logits, lambda: 25, tol: 0.1, max_iters: 1000);
        Assert.Equal(torch.ScalarType.Int64, labels.dtype);
        Assert.Equal(heads == 1 ? new long[] { n } : new long[] { heads, n }, labels.shape);
        for (int h = 0; h < heads; h++)
        {
            var head = heads == 1 ? logits : logits[h];
            var expected = References.SeLa(head, 25, 0.1, 1000);
            var got = (heads == 1 ? labels : labels[h]).data<long>().ToArray();
            int disagreements = expected.Where((e, i) => e != got[i]).Count();

            // Labels agree except where the float64 reference itself has a near tie (ops.md).
            Assert.True(disagreements <= n / 200, $"head {h}: {disagreements} of {n} labels differ");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Swav_codes_match_the_float64_reference(string shape)
    {
        var (_, s) = Input.Logits(shape).Grad(requiresGrad: false);
        var scores = s / 10;
        var ours = GslPseudoLabels.swav(scores, epsilon: 0.05, iterations: 3);
        var expected = References.Swav(scores, 0.05, 3);
        Assert.Equal(scores.dtype, ours.dtype);
        Torch64.Close(expected, ours);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Average_k_targets_match_the_selection_rule(string shape)
    {
        var (_, z) = Input.Logits(shape).Grad(requiresGrad: false);
        var probs = torch.softmax(z, 1);
        long batch = probs.shape[0];
        torch.manual_seed(10);
        var labels = torch.randint(0, probs.shape[1], batch, dtype: torch.ScalarType.Int64);
        double k = Math.Min(1.5, probs.shape[1] - 0.5);
        var ours = GslPseudoLabels.average_k(probs, labels, k);
        var expected = References.AverageKTargets(probs, labels.data<long>().ToArray(), k);
        Torch64.Close(expected, ours, 0, 0);
    }
}
