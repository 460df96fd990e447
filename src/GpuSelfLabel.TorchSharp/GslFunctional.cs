using GpuSelfLabel.TorchSharp.Autograd;
using GpuSelfLabel.TorchSharp.Interop;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The library's losses as differentiable TorchSharp functions, in the style of
/// <c>torch.nn.functional</c>. Each is a custom autograd function: forward is the library's fused
/// pass over the tensor's own memory (no copy for float32 C-contiguous tensors, views with a storage
/// offset included) and saves the gradient that pass already computed; backward scales it.
/// <para>
/// Inputs are float32 or float64 (float64 is computed in float32 and results and gradients come
/// back as float64); a strided view is made contiguous once. Every argument is checked before any
/// work: a wrong dtype, shape or device mix, a non-finite value or a target row that is not a
/// distribution raises <see cref="GslArgumentException"/> naming the argument and the first bad row,
/// and leaves the autograd graph as it was.
/// </para>
/// </summary>
public static class GslFunctional
{
    /// <summary>Softmax over the last axis of N×K logits at temperature τ (ops.md §1): σ = softmax(z/τ).</summary>
    /// <param name="logits">N×K logits.</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <returns>σ, N×K, differentiable with respect to the logits.</returns>
    public static Tensor softmax(Tensor logits, double temperature = 1.0) => Softmax(logits, temperature, logarithm: false);

    /// <summary>Log-softmax over the last axis of N×K logits at temperature τ (ops.md §1): ln softmax(z/τ).</summary>
    /// <param name="logits">N×K logits.</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <returns>ln σ, N×K, differentiable with respect to the logits.</returns>
    public static Tensor log_softmax(Tensor logits, double temperature = 1.0) => Softmax(logits, temperature, logarithm: true);

    /// <summary>
    /// Collision cross-entropy (ops.md §2): H2(y_i, σ_i) = −ln Σ_k y_ik σ_ik with σ = softmax(logits),
    /// evaluated stably in one fused pass. Differentiable with respect to the logits and the targets.
    /// </summary>
    /// <param name="logits">N×K logits, K ≥ 2.</param>
    /// <param name="targets">N×K soft targets: entries ≥ 0, each row summing to 1 within 1e-3.</param>
    /// <param name="reduction">Mean (default) or Sum over rows, or None for the N per-row losses.</param>
    public static Tensor collision_cross_entropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        CheckPair(logits, targets, reduction);
        return CollisionCrossEntropyFunction.apply(logits, targets, reduction, Recording(logits, targets), BackwardGuard.For(logits, targets)!);
    }

    /// <summary>
    /// Shannon cross-entropy with soft targets (ops.md §3): −Σ_k y_ik ln σ_ik. Differentiable with
    /// respect to the logits, and to the targets (−ln σ) when they require a gradient.
    /// </summary>
    /// <param name="logits">N×K logits, K ≥ 2.</param>
    /// <param name="targets">N×K soft targets: entries ≥ 0, each row summing to 1 within 1e-3.</param>
    /// <param name="reduction">Mean (default) or Sum over rows, or None for the N per-row losses.</param>
    public static Tensor soft_cross_entropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        CheckPair(logits, targets, reduction);
        return SoftCrossEntropyFunction.apply(logits, targets, reduction, Recording(logits, targets), BackwardGuard.For(logits, targets)!);
    }

    /// <summary>
    /// The Self-Classifier loss (ops.md §7) over V views of the same N samples, with gradients into
    /// every view (targets and predictions both carry gradient).
    /// </summary>
    /// <param name="logits">V×N×C logits, V ≥ 2, C ≥ 2.</param>
    /// <param name="tau_row">τ_r &gt; 0 of the per-sample softmax over classes.</param>
    /// <param name="tau_col">τ_c &gt; 0 of the per-class softmax over the batch.</param>
    /// <param name="global_views">G: views 0..G−1 are global; pairs of two local views are left out (null: all global).</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor self_classifier_loss(Tensor logits, double tau_row = 0.1, double tau_col = 0.05, int? global_views = null)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Floating(logits, nameof(logits), 3, "V×N×C");
        _ = TorchBackends.For(logits, nameof(logits));
        return TorchChecks.Named(() => SelfClassifierFunction.apply(logits, new SelfClassifierOptions(tau_row, tau_col, global_views), Recording(logits), BackwardGuard.For(logits)!));
    }

    /// <summary>
    /// The two-head Average-K loss (ops.md §8): the softmax head's cross-entropy against the labels
    /// plus μ times the multi-label head's BCE against the batch's true-plus-top pseudo-labels (held
    /// constant). Differentiable with respect to both heads' logits.
    /// </summary>
    /// <param name="softmax_logits">B×L logits of the softmax head.</param>
    /// <param name="multilabel_logits">B×L logits of the multi-label head.</param>
    /// <param name="labels">B class indices (int64) in [0, L).</param>
    /// <param name="k">Average set size K: round(K·B) positives, at least B and at most B·L.</param>
    /// <param name="mu">μ ≥ 0, the weight of the multi-label head.</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor two_head_loss(Tensor softmax_logits, Tensor multilabel_logits, Tensor labels, double k, double mu = 1.0)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Floating(softmax_logits, nameof(softmax_logits), 2, "B×L");
        TorchChecks.Floating(multilabel_logits, nameof(multilabel_logits), 2, "B×L");
        TorchChecks.SameShape(softmax_logits, nameof(softmax_logits), multilabel_logits, nameof(multilabel_logits));
        TorchChecks.SameDevice(softmax_logits, nameof(softmax_logits), multilabel_logits, nameof(multilabel_logits));
        _ = TorchBackends.For(softmax_logits, nameof(softmax_logits));
        var classIndices = TorchChecks.Labels(labels, nameof(labels), softmax_logits.shape[0], softmax_logits.shape[1], softmax_logits, nameof(softmax_logits));
        return TorchChecks.Named(() => TwoHeadLossFunction.apply(softmax_logits, multilabel_logits, classIndices, k, mu, Recording(softmax_logits, multilabel_logits), BackwardGuard.For(softmax_logits, multilabel_logits)!));
    }

    private static Tensor Softmax(Tensor logits, double temperature, bool logarithm)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Floating(logits, nameof(logits), 2, "N×K");
        _ = TorchBackends.For(logits, nameof(logits));
        return SoftmaxFunction.apply(logits, temperature, logarithm, BackwardGuard.For(logits)!);
    }

    private static void CheckPair(Tensor logits, Tensor targets, Reduction reduction)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Floating(logits, nameof(logits), 2, "N×K");
        TorchChecks.Floating(targets, nameof(targets), 2, "N×K");
        TorchChecks.SameShape(logits, nameof(logits), targets, nameof(targets));
        TorchChecks.SameDevice(logits, nameof(logits), targets, nameof(targets));
        if (!Enum.IsDefined(reduction))
        {
            throw new GslArgumentException(nameof(reduction), $"{reduction} is not Mean, Sum or None");
        }

        _ = TorchBackends.For(logits, nameof(logits));
    }

    /// <summary>Whether autograd records this call: gradients are kept only then.</summary>
    private static bool Recording(params Tensor[] inputs) => torch.is_grad_enabled() && inputs.Any(t => t.requires_grad);
}
