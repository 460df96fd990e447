using GpuSelfLabel.TorchSharp.Interop;
using static TorchSharp.torch.autograd;

namespace GpuSelfLabel.TorchSharp.Autograd;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// ops.md §3 (Shannon cross-entropy with soft targets) as a TorchSharp autograd function. Forward is
/// the library's fused pass (per-row losses and ∂L/∂z = (σ − y)/N written into TorchSharp tensors);
/// when the targets require a gradient, ∂L/∂y = −ln σ / N comes from the library's log-softmax pass.
/// Backward only scales what forward saved.
/// Arguments: logits, targets, reduction, whether a graph is being recorded (bool), the backward guard (<see cref="BackwardGuard"/>).
/// </summary>
internal sealed class SoftCrossEntropyFunction : SingleTensorFunction<SoftCrossEntropyFunction>
{
    public override string Name => "GslSoftCrossEntropy";

    public override Tensor forward(AutogradContext ctx, params object[] vars) =>
        PairGradients.Forward(ctx, vars, static (z, y, losses, dlogits, dtargetsView, dtargets) =>
        {
            double mean = CrossEntropy.ComputeInto(z, y, losses, dlogits);
            if (dtargets is not null)
            {
                // ∂L/∂y = −ln σ / N from the library's log-softmax pass.
                Softmax.LogForwardInto(z, dtargetsView!);
                dtargets.mul_(-1.0 / z.Rows);
            }

            return mean;
        });

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) => PairGradients.Backward(ctx, grad_output);
}
