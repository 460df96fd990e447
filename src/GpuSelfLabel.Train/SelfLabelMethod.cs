using GpuSelfLabel.TorchSharp;
using static TorchSharp.torch;

namespace GpuSelfLabel.Train;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// One training step's loss for each method, from the logits of two augmented views of the same
/// batch. Pseudo-labels come from one view (detached) and supervise the other, both ways round; every
/// loss and solver is the library's (GslFunctional, GslPseudoLabels).
/// </summary>
internal static class SelfLabelMethod
{
    /// <summary>SwAV's softmax temperature over prototype scores.</summary>
    private const double SwavTemperature = 0.1;

    public static bool UsesCosineHead(string method) => method == "swav";

    public static Tensor Loss(string method, Tensor logits1, Tensor logits2, double lambda) => method switch
    {
        "cce-em" => Swapped(logits1, logits2, Em(logits1, lambda), Em(logits2, lambda), GslFunctional.collision_cross_entropy),
        "ce" => Swapped(logits1, logits2, Em(logits1, lambda), Em(logits2, lambda), GslFunctional.soft_cross_entropy),
        "sela" => Swapped(logits1, logits2, SeLa(logits1), SeLa(logits2), GslFunctional.soft_cross_entropy),
        // Codes from the raw prototype scores (ε applies to them), predictions from the tempered ones.
        "swav" => Swapped(logits1 / SwavTemperature, logits2 / SwavTemperature, GslPseudoLabels.swav(logits1.detach()), GslPseudoLabels.swav(logits2.detach()), GslFunctional.soft_cross_entropy),
        "self-classifier" => GslFunctional.self_classifier_loss(stack([logits1, logits2])),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown method"),
    };

    private static Tensor Em(Tensor logits, double lambda)
    {
        using var probs = GslFunctional.softmax(logits.detach());
        return GslPseudoLabels.em(probs, lambda: lambda, tol: 1e-5, max_iters: 200);
    }

    private static Tensor SeLa(Tensor logits)
    {
        using var labels = GslPseudoLabels.sela(logits.detach());
        return nn.functional.one_hot(labels, logits.shape[1]).to_type(logits.dtype);
    }

    /// <summary>Targets from view 1 supervise view 2 and the other way round.</summary>
    private static Tensor Swapped(Tensor logits1, Tensor logits2, Tensor targets1, Tensor targets2, Func<Tensor, Tensor, nn.Reduction, Tensor> loss) =>
        (loss(logits2, targets1, nn.Reduction.Mean) + loss(logits1, targets2, nn.Reduction.Mean)) / 2;
}
