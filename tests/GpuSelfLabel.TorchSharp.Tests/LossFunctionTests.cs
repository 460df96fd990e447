namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Every differentiable function against TorchSharp's own autograd of the same formula in float64,
/// on the shapes of <see cref="Input"/>: the value, the gradient into every input that requires one,
/// and for the two cross-entropies every reduction.
/// </summary>
public sealed class LossFunctionTests
{
    public static TheoryData<string> Shapes => Input.All;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Softmax_and_log_softmax_match_float64_autograd(string shape)
    {
        foreach (bool logarithm in new[] { false, true })
        {
            foreach (double temperature in new[] { 1.0, 0.5 })
            {
                var input = Input.Logits(shape);
                var (leaf, z) = input.Grad();
                var (leaf64, z64) = input.Grad64();
                var upstream = torch.randn(z.shape, torch.ScalarType.Float64);

                var ours = logarithm ? GslFunctional.log_softmax(z, temperature) : GslFunctional.softmax(z, temperature);
                var expected = logarithm ? functional.log_softmax(z64 / temperature, 1) : torch.softmax(z64 / temperature, 1);
                Assert.Equal(z.dtype, ours.dtype);
                Torch64.Close(expected, ours);

                (ours * upstream.to(ours.dtype)).sum().backward();
                (expected * upstream).sum().backward();
                Torch64.Close(leaf64.grad!, leaf.grad!);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Collision_cross_entropy_matches_float64_autograd_for_every_reduction(string shape)
    {
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var logits = Input.Logits(shape);
            var targets = Input.Targets(shape);
            var (zLeaf, z) = logits.Grad();
            var (yLeaf, y) = targets.Grad();
            var (zLeaf64, z64) = logits.Grad64();
            var (yLeaf64, y64) = targets.Grad64();

            var ours = GslFunctional.collision_cross_entropy(z, y, reduction);
            var expected = Reduce(Torch64.CollisionRows(z64, y64), reduction);
            CheckLossAndGradients(reduction, ours, expected, [zLeaf, yLeaf], [zLeaf64, yLeaf64]);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Soft_cross_entropy_matches_float64_autograd_for_every_reduction(string shape)
    {
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var logits = Input.Logits(shape);
            var targets = Input.Targets(shape);
            var (zLeaf, z) = logits.Grad();
            var (yLeaf, y) = targets.Grad();
            var (zLeaf64, z64) = logits.Grad64();
            var (yLeaf64, y64) = targets.Grad64();

            var ours = GslFunctional.soft_cross_entropy(z, y, reduction);
            var expected = Reduce(Torch64.SoftCrossEntropyRows(z64, y64), reduction);
            CheckLossAndGradients(reduction, ours, expected, [zLeaf, yLeaf], [zLeaf64, yLeaf64]);
        }
    }

    [Fact]
    public void Collision_cross_entropy_with_one_hot_targets_is_shannon_cross_entropy()
    {
        torch.manual_seed(3);
        var z = (torch.randn(32, 10) * 80).requires_grad_(true);
        var y = functional.one_hot(torch.randint(0, 10, 32, dtype: torch.ScalarType.Int64), 10).to(torch.ScalarType.Float32);
        var z64 = Torch64.Leaf(z);

        var ours = GslFunctional.collision_cross_entropy(z, y);
        var expected = functional.cross_entropy(z64, y.argmax(1));
        Torch64.CloseScalar(expected.item<double>(), ours);
        ours.backward();
        expected.backward();
        Torch64.Close(z64.grad!, z.grad!);
        Assert.Null(y.grad);
    }

    [Theory]
    [InlineData("k2", null)]
    [InlineData("k3000", null)]
    [InlineData("one-row", null)]
    [InlineData("extreme", null)]
    [InlineData("strided", null)]
    [InlineData("offset", 2)]
    [InlineData("float64", 1)]
    public void Self_classifier_loss_matches_float64_autograd(string shape, int? globalViews)
    {
        var (leaf, s, leaf64, s64) = Views(shape);
        var ours = GslFunctional.self_classifier_loss(s, 0.1, 0.05, globalViews);
        var expected = Torch64.SelfClassifier(s64, 0.1, 0.05, globalViews);
        Assert.Equal(s.dtype, ours.dtype);
        Torch64.CloseScalar(expected.item<double>(), ours);

        (ours * 0.75).backward();
        (expected * 0.75).backward();
        Torch64.Close(leaf64.grad!, leaf.grad!);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Two_head_loss_matches_float64_autograd(string shape)
    {
        var softmaxHead = Input.Logits(shape, 5);
        var multilabelHead = Input.Logits(shape, 6);
        var (aLeaf, a) = softmaxHead.Grad();
        var (bLeaf, b) = multilabelHead.Grad();
        var (aLeaf64, a64) = softmaxHead.Grad64();
        var (bLeaf64, b64) = multilabelHead.Grad64();
        long batch = a.shape[0];
        long classes = a.shape[1];
        torch.manual_seed(7);
        var labels = torch.randint(0, classes, batch, dtype: torch.ScalarType.Int64);
        double k = Math.Min(1.5, classes - 0.5);

        var ours = GslFunctional.two_head_loss(a, b, labels, k, mu: 0.7);
        var z = References.AverageKTargets(torch.softmax(a64.detach(), 1), labels.data<long>().ToArray(), k);
        var expected = Torch64.TwoHead(a64, b64, labels.data<long>().ToArray(), z, 0.7);
        Torch64.CloseScalar(expected.item<double>(), ours);

        ours.backward();
        expected.backward();
        Torch64.Close(aLeaf64.grad!, aLeaf.grad!);
        Torch64.Close(bLeaf64.grad!, bLeaf.grad!);
    }

    /// <summary>V×N×C views built from the 2-D cases: three views of the case's N×K logits.</summary>
    private static (Tensor Leaf, Tensor View, Tensor Leaf64, Tensor View64) Views(string shape)
    {
        var input = Input.Logits(shape);
        torch.manual_seed(4);
        var noise = torch.randn(3, 1, 1, input.Leaf.dtype);
        var leaf = (input.Leaf.unsqueeze(0) * (1 + (0.1 * noise))).detach().requires_grad_(true);
        var leaf64 = Torch64.Leaf(leaf);
        Tensor View(Tensor t) => shape == "strided" ? t.transpose(1, 2) : shape == "offset" ? t.narrow(1, 10, 20) : t;
        return (leaf, View(leaf), leaf64, View(leaf64));
    }

    private static Tensor Reduce(Tensor rows, Reduction reduction) => reduction switch
    {
        Reduction.Mean => rows.mean(),
        Reduction.Sum => rows.sum(),
        _ => rows,
    };

    private static void CheckLossAndGradients(Reduction reduction, Tensor ours, Tensor expected, Tensor[] leaves, Tensor[] leaves64)
    {
        Assert.Equal(leaves[0].dtype, ours.dtype);
        if (reduction == Reduction.None)
        {
            Torch64.Close(expected, ours, 1e-5, 1e-6);
            var weights = torch.randn(ours.shape, torch.ScalarType.Float64);
            (ours * weights.to(ours.dtype)).sum().backward();
            (expected * weights).sum().backward();
        }
        else
        {
            Torch64.CloseScalar(expected.item<double>(), ours);
            ours.backward();
            expected.backward();
        }

        for (int i = 0; i < leaves.Length; i++)
        {
            Torch64.Close(leaves64[i].grad!, leaves[i].grad!);
        }
    }
}
