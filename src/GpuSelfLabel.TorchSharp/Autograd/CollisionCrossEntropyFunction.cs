using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §2 as a TorchSharp autograd function. Forward is the library's one fused pass, which
/// writes the per-row losses and both gradients of the mean loss straight into TorchSharp tensors;
/// backward only scales those saved gradients by the upstream gradient (nothing is recomputed).
/// ∂L/∂targets is kept only when the targets require a gradient.
/// Arguments: logits, targets, reduction, whether a graph is being recorded (bool), the backward guard (<see cref="BackwardGuard"/>).
/// </summary>
internal sealed class CollisionCrossEntropyFunction : SingleTensorFunction<CollisionCrossEntropyFunction>
{
    public override string Name => "GslCollisionCrossEntropy";

    public override Tensor forward(AutogradContext ctx, params object[] vars) =>
        PairGradients.Forward(ctx, vars, static (z, y, losses, dlogits, dtargetsView, _) =>
            CollisionCrossEntropy.ComputeInto(z, y, losses, dlogits, dtargetsView));

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) => PairGradients.Backward(ctx, grad_output);
}
