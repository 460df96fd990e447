namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Bad input raises the library's exception naming the argument (and the row, where the problem
/// is in a row's data) before any work, and the autograd graph stays usable: the same leaf trains on
/// afterwards as if nothing had happened.
/// </summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "int logits", "logits", "dtype" },
        { "wrong rank", "logits", "2-D" },
        { "shape mismatch", "targets", "shape" },
        { "device mix", "targets", "device" },
        { "nan logit", "logits", "row 3" },
        { "infinite logit", "logits", "row 5" },
        { "unnormalised target row", "targets", "row 2" },
        { "negative target", "targets", "row 4" },
        { "nan target", "targets", "row 1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Collision_cross_entropy_names_the_argument_and_row_and_keeps_the_graph(string problem, string argument, string mention)
    {
        torch.manual_seed(11);
        var leaf = torch.randn(8, 4, requires_grad: true);
        var logits = leaf * 2;
        var targets = torch.softmax(torch.randn(8, 4), 1);
        (logits, targets) = Break(problem, logits, targets);

        var error = Assert.Throws<GslArgumentException>(() => GslFunctional.collision_cross_entropy(logits, targets));
        Assert.Equal(argument, error.Argument);
        Assert.Contains(mention, error.Message, StringComparison.Ordinal);
        Assert.Null(leaf.grad);

        // The graph is intact: the same leaf, a good call, a backward.
        var good = GslFunctional.collision_cross_entropy(leaf * 2, torch.softmax(torch.randn(8, 4), 1));
        good.backward();
        Assert.NotNull(leaf.grad);
        Assert.True(leaf.grad!.isfinite().all().item<bool>());
    }

    [Fact]
    public void Soft_cross_entropy_and_softmax_check_their_inputs_too()
    {
        var nan = torch.randn(6, 3);
        nan[4, 1] = torch.tensor(float.NaN);
        var targets = torch.full(6, 3, 1f / 3);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslFunctional.soft_cross_entropy(nan, targets)).Argument);
        Assert.Equal(4, Assert.Throws<GslArgumentException>(() => GslFunctional.softmax(nan)).Row);
        Assert.Equal("temperature", Assert.Throws<GslArgumentException>(() => GslFunctional.log_softmax(torch.randn(2, 3), 0)).Argument);
    }

    [Fact]
    public void A_non_finite_upstream_gradient_reaches_the_logits_as_nan_without_ending_the_process()
    {
        // backward runs under LibTorch's engine, which an exception cannot cross.
        var logits = torch.randn(4, 3, requires_grad: true);
        var probs = GslFunctional.softmax(logits);
        (probs * torch.tensor(new[] { float.NaN, 1f, 1f })).sum().backward();
        Assert.True(logits.grad!.isnan().all().item<bool>());

        var fresh = torch.randn(4, 3, requires_grad: true);
        GslFunctional.log_softmax(fresh).sum().backward();
        Assert.True(fresh.grad!.isfinite().all().item<bool>());
    }

    [Fact]
    public void Self_classifier_and_two_head_losses_check_their_inputs()
    {
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslFunctional.self_classifier_loss(torch.randn(4, 5))).Argument);
        Assert.Equal("tau_row", Assert.Throws<GslArgumentException>(() => GslFunctional.self_classifier_loss(torch.randn(2, 4, 5), tau_row: -1)).Argument);

        var a = torch.randn(4, 5);
        var b = torch.randn(4, 5);
        var labels = torch.tensor(new long[] { 0, 1, 7, 2 });
        var error = Assert.Throws<GslArgumentException>(() => GslFunctional.two_head_loss(a, b, labels, 1.5));
        Assert.Equal("labels", error.Argument);
        Assert.Equal(2, error.Row);
        Assert.Equal("multilabel_logits", Assert.Throws<GslArgumentException>(() => GslFunctional.two_head_loss(a, torch.randn(4, 6), labels, 1.5)).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => GslFunctional.two_head_loss(a, b, torch.zeros(4), 1.5)).Argument);
    }

    [Fact]
    public void Errors_name_the_parameters_as_this_api_spells_them()
    {
        var views = torch.randn(2, 4, 5);
        Assert.Equal("tau_col", Assert.Throws<GslArgumentException>(() => GslFunctional.self_classifier_loss(views, 0.1, tau_col: -1)).Argument);
        Assert.Equal("global_views", Assert.Throws<GslArgumentException>(() => GslFunctional.self_classifier_loss(views, global_views: 0)).Argument);

        var a = torch.randn(4, 5);
        a[2, 1] = torch.tensor(float.NaN);
        var labels = torch.tensor(new long[] { 0, 1, 3, 2 });
        var error = Assert.Throws<GslArgumentException>(() => GslFunctional.two_head_loss(a, torch.randn(4, 5), labels, 1.5));
        Assert.Equal(("softmax_logits", (long?)2), (error.Argument, error.Row));
        var b = torch.randn(4, 5);
        b[3, 0] = torch.tensor(float.PositiveInfinity);
        error = Assert.Throws<GslArgumentException>(() => GslFunctional.two_head_loss(torch.randn(4, 5), b, labels, 1.5));
        Assert.Equal(("multilabel_logits", (long?)3), (error.Argument, error.Row));

        var probs = torch.softmax(torch.randn(6, 3), 1);
        Assert.Equal("max_iters", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.em(probs, max_iters: 0)).Argument);
        Assert.Equal("max_iters", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.sela(probs, max_iters: 0)).Argument);
        Assert.Equal("iterations", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.swav(probs, iterations: -1)).Argument);
    }

    [Fact]
    public void An_empty_tensor_is_refused_naming_its_argument()
    {
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslFunctional.softmax(torch.randn(0, 4))).Argument);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslFunctional.collision_cross_entropy(torch.randn(0, 4), torch.randn(0, 4))).Argument);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslFunctional.self_classifier_loss(torch.randn(2, 0, 4))).Argument);
        Assert.Equal("probs", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.em(torch.randn(0, 4))).Argument);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.sela(torch.randn(3, 0))).Argument);
    }

    [Fact]
    public void A_softmax_output_changed_in_place_before_backward_gives_nan_without_ending_the_process()
    {
        // LibTorch refuses to hand back a saved tensor changed in place; the exception cannot cross its engine.
        foreach (bool logarithm in new[] { false, true })
        {
            var logits = torch.randn(4, 3, requires_grad: true);
            var output = logarithm ? GslFunctional.log_softmax(logits) : GslFunctional.softmax(logits);
            output.mul_(2);
            (output * torch.randn(4, 3)).sum().backward();
            Assert.True(logits.grad!.isnan().all().item<bool>());
        }
    }

    [Fact]
    public void Pseudo_label_solvers_check_their_inputs()
    {
        var notDistributions = torch.rand(5, 3) + 1;
        var error = Assert.Throws<GslArgumentException>(() => GslPseudoLabels.em(notDistributions));
        Assert.Equal("probs", error.Argument);
        Assert.Equal(0, error.Row);
        Assert.Equal("lambda", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.sela(torch.randn(10, 3), lambda: -1)).Argument);
        Assert.Equal("logits", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.sela(torch.randn(10))).Argument);
        Assert.Equal("scores", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.swav(torch.randn(4, 3, torch.ScalarType.Float16))).Argument);
        Assert.Equal("labels", Assert.Throws<GslArgumentException>(() => GslPseudoLabels.average_k(torch.softmax(torch.randn(4, 3), 1), torch.zeros(3, torch.ScalarType.Int64), 1.5)).Argument);
    }

    private static (Tensor Logits, Tensor Targets) Break(string problem, Tensor logits, Tensor targets)
    {
        switch (problem)
        {
            case "int logits":
                return (logits.detach().to(torch.ScalarType.Int32), targets);
            case "wrong rank":
                return (logits.reshape(32), targets);
            case "shape mismatch":
                return (logits, torch.softmax(torch.randn(8, 5), 1));
            case "device mix":
                return (logits, torch.empty(8, 4, device: torch.META));
            case "nan logit":
                logits = logits.detach().clone();
                logits[3, 1] = torch.tensor(float.NaN);
                return (logits, targets);
            case "infinite logit":
                logits = logits.detach().clone();
                logits[5, 0] = torch.tensor(float.NegativeInfinity);
                return (logits, targets);
            case "unnormalised target row":
                targets[2, 0] = targets[2, 0] + 0.01f;
                return (logits, targets);
            case "negative target":
                targets[4, 0] = torch.tensor(-0.25f);
                targets[4, 1] = targets[4, 1] + 0.25f;
                return (logits, targets);
            default:
                targets[1, 3] = torch.tensor(float.NaN);
                return (logits, targets);
        }
    }
}
