namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The ops inside an ordinary TorchSharp training loop: nn.Linear, an optimizer, loss.backward(),
/// gradients that match TorchSharp's own composition of the same loss, and modules that agree with
/// the functions.
/// </summary>
public sealed class TrainingTests
{
    [Fact]
    public void Collision_cross_entropy_against_em_pseudo_labels_trains_a_linear_layer()
    {
        torch.manual_seed(12);
        var features = torch.randn(256, 8);
        var head = Linear(8, 4);
        var optimizer = torch.optim.SGD(head.parameters(), 0.5);
        var losses = new List<double>();
        for (int step = 0; step < 20; step++)
        {
            optimizer.zero_grad();
            var logits = head.forward(features);
            var targets = GslPseudoLabels.em(GslFunctional.softmax(logits).detach(), lambda: 1.0);
            var loss = GslFunctional.collision_cross_entropy(logits, targets);

            if (step == 0)
            {
                // The first step's gradients against TorchSharp's own composition of the same loss.
                var reference = Linear(8, 4);
                reference.load_state_dict(head.state_dict());
                var composed = Torch64.CollisionRows(reference.forward(features), targets).mean();
                composed.backward();
                Torch64.CloseScalar(composed.item<float>(), loss, 1e-5);
                loss.backward();
                Torch64.Close(reference.weight!.grad!, head.weight!.grad!, 1e-3, 1e-6);
                Torch64.Close(reference.bias!.grad!, head.bias!.grad!, 1e-3, 1e-6);
            }
            else
            {
                loss.backward();
            }

            optimizer.step();
            losses.Add(loss.item<float>());
        }

        Assert.True(losses[^1] < losses[0] - 0.05, $"loss went from {losses[0]} to {losses[^1]}");
    }

    [Fact]
    public void No_gradient_reaches_inputs_that_do_not_require_one()
    {
        var logits = torch.randn(10, 3, requires_grad: true);
        var targets = torch.softmax(torch.randn(10, 3), 1);
        GslFunctional.collision_cross_entropy(logits, targets).backward();
        GslFunctional.soft_cross_entropy(logits, targets).backward();
        Assert.NotNull(logits.grad);
        Assert.Null(targets.grad);

        var fixedLogits = torch.randn(10, 3);
        var learnedTargets = torch.softmax(torch.randn(10, 3), 1).requires_grad_(true);
        GslFunctional.collision_cross_entropy(fixedLogits, learnedTargets).backward();
        Assert.Null(fixedLogits.grad);
        Assert.NotNull(learnedTargets.grad);

        using (torch.no_grad())
        {
            Assert.False(GslFunctional.collision_cross_entropy(logits, targets).requires_grad);
            Assert.False(GslFunctional.softmax(logits).requires_grad);
        }
    }

    [Fact]
    public void Loss_modules_agree_with_the_functions()
    {
        torch.manual_seed(13);
        var z = torch.randn(12, 5);
        var y = torch.softmax(torch.randn(12, 5), 1);
        var views = torch.randn(2, 12, 5);
        var labels = torch.randint(0, 5, 12, dtype: torch.ScalarType.Int64);

        Assert.Equal(GslFunctional.collision_cross_entropy(z, y, Reduction.Sum).item<float>(), new CollisionCrossEntropyLoss(Reduction.Sum).forward(z, y).item<float>());
        Assert.Equal(GslFunctional.soft_cross_entropy(z, y, Reduction.None).data<float>().ToArray(), new SoftCrossEntropyLoss(Reduction.None).forward(z, y).data<float>().ToArray());
        Assert.Equal(GslFunctional.self_classifier_loss(views, 0.2, 0.1).item<float>(), new SelfClassifierLoss(0.2, 0.1).forward(views).item<float>());
        Assert.Equal(GslFunctional.two_head_loss(z, z * 2, labels, 2.0, 0.5).item<float>(), new TwoHeadAverageKLoss(2.0, 0.5).forward(z, z * 2, labels).item<float>());
    }

    public static TheoryData<string> Functions() => new() { "softmax", "log_softmax", "collision_cross_entropy", "soft_cross_entropy", "self_classifier_loss", "two_head_loss" };

    [Theory]
    [MemberData(nameof(Functions))]
    public void A_second_backward_without_retain_graph_raises_as_libtorch_does_and_adds_nothing(string function)
    {
        // TorchSharp keeps a custom function's saved tensors until its graph is freed, so without the
        // guard a second backward ran the function again and doubled the gradient silently.
        torch.manual_seed(31);
        var logits = torch.randn(6, 4, requires_grad: true);
        var loss = Apply(function, logits);
        loss.backward();
        var first = logits.grad!.clone();
        var error = Assert.ThrowsAny<Exception>(() => loss.backward());
        Assert.Contains("backward through the graph a second time", error.Message);
        Torch64.Close(first, logits.grad!, 0, 0);

        // The same call with retain_graph backs through twice, each time the same gradient.
        logits.grad!.zero_();
        var retained = Apply(function, logits);
        retained.backward(retain_graph: true);
        retained.backward();
        Torch64.Close(first * 2, logits.grad!, 1e-6, 1e-7);
    }

    private static Tensor Apply(string function, Tensor logits)
    {
        // Only ops that save no tensor follow the softmax (a column's sum), so the guard alone can raise.
        var targets = torch.softmax(torch.arange(logits.numel(), dtype: torch.ScalarType.Float32).reshape(logits.shape).cos(), 1);
        return function switch
        {
            "softmax" => GslFunctional.softmax(logits).select(1, 0).sum(),
            "log_softmax" => GslFunctional.log_softmax(logits).select(1, 2).sum(),
            "collision_cross_entropy" => GslFunctional.collision_cross_entropy(logits, targets),
            "soft_cross_entropy" => GslFunctional.soft_cross_entropy(logits, targets),
            "self_classifier_loss" => GslFunctional.self_classifier_loss(logits.reshape(2, 3, 4)),
            _ => GslFunctional.two_head_loss(logits, logits * 0.5, torch.tensor(new long[] { 0, 1, 2, 3, 0, 1 }), 2.0),
        };
    }

    [Fact]
    public void A_second_backward_through_a_retained_graph_gives_the_same_gradient()
    {
        var logits = torch.randn(9, 4, requires_grad: true);
        var loss = GslFunctional.collision_cross_entropy(logits, torch.softmax(torch.randn(9, 4), 1)) * 3;
        loss.backward(retain_graph: true);
        var first = logits.grad!.clone();
        logits.grad!.zero_();
        loss.backward();
        Torch64.Close(first, logits.grad!, 0, 0);
    }
}
