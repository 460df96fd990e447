using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The Self-Classifier loss as a module (ops.md §7): <c>forward(logits)</c> is
/// <see cref="GslFunctional.self_classifier_loss"/> of V×N×C logits (V views of N samples).
/// </summary>
public sealed class SelfClassifierLoss : Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="tau_row">τ_r &gt; 0 of the per-sample softmax over classes.</param>
    /// <param name="tau_col">τ_c &gt; 0 of the per-class softmax over the batch.</param>
    /// <param name="global_views">G: views 0..G−1 are global (null: all views).</param>
    public SelfClassifierLoss(double tau_row = 0.1, double tau_col = 0.05, int? global_views = null)
        : base(nameof(SelfClassifierLoss))
    {
        this.tau_row = tau_row;
        this.tau_col = tau_col;
        this.global_views = global_views;
    }

    /// <summary>τ_r, the row temperature.</summary>
    public double tau_row { get; }

    /// <summary>τ_c, the column temperature.</summary>
    public double tau_col { get; }

    /// <summary>The number of global views G (null: all).</summary>
    public int? global_views { get; }

    /// <summary>The scalar loss of V×N×C logits.</summary>
    public override Tensor forward(Tensor input) => GslFunctional.self_classifier_loss(input, tau_row, tau_col, global_views);
}
