using GpuSelfLabel.Backends;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §7: the Self-Classifier loss over V views of the same N samples and its gradient with
/// respect to every view's logits. Targets T (column softmax, row-normalised) and predictions P (row
/// softmax, column-normalised) both carry gradient: there is no stop-gradient.
/// </summary>
public static class SelfClassifier
{
    /// <summary>
    /// Loss = mean over the kept ordered pairs (i, j) of ℓ(i→j) = −(1/N) Σ_n Σ_y T^i_ny ln((N/C) P^j_ny + ε),
    /// and ∂Loss/∂S^v, for V×N×C float32 logits.
    /// </summary>
    public static SelfClassifierResult Compute(Tensor logits, SelfClassifierOptions? options = null)
    {
        Guard.Float32(logits, nameof(logits), 3);
        var dlogits = logits.Backend.Allocate(DType.Float32, logits.Shape[0], logits.Shape[1], logits.Shape[2]);
        try
        {
            double loss = ComputeInto(logits, dlogits, options);
            return new SelfClassifierResult(loss, dlogits);
        }
        catch
        {
            dlogits.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Compute"/> with ∂Loss/∂S written into <paramref name="dlogits"/>, a destination the
    /// caller owns (memory wrapped with <see cref="Backend.Wrap"/>, say). Every argument, the
    /// destination included, is checked before anything is written.
    /// </summary>
    /// <param name="logits">V×N×C float32 logits of V ≥ 2 views, C ≥ 2, every value finite.</param>
    /// <param name="dlogits">Destination of ∂Loss/∂S: V×N×C float32 on the logits' backend, sharing no memory with them.</param>
    /// <param name="options">Temperatures and the number of global views.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="GslArgumentException">An argument breaks a rule; the message names it and, for data, the view and sample.</exception>
    public static double ComputeInto(Tensor logits, Tensor dlogits, SelfClassifierOptions? options = null)
    {
        options ??= new SelfClassifierOptions();
        Guard.Float32(logits, nameof(logits), 3);
        long views = logits.Shape[0];
        long samples = logits.Shape[1];
        long classes = logits.Shape[2];
        if (views < 2)
        {
            throw new GslArgumentException(nameof(logits), $"has V = {views} views in shape {logits.ShapeText}; the loss pairs views, so V must be ≥ 2");
        }

        Guard.MinColumns(logits, nameof(logits), 2);
        int globalViews = options.GlobalViews ?? (int)Math.Min(views, int.MaxValue);
        if (globalViews < 1 || globalViews > views)
        {
            throw new GslArgumentException("global-views", $"must lie in [1, V = {views}], got {globalViews}");
        }

        options.Validate();
        Guard.Output(dlogits, nameof(dlogits), logits, logits.Shape, (logits, nameof(logits)));

        // The call's one workspace: the statistics, every pass's partials and the finiteness check's scan.
        var kernels = logits.Backend.Kernels;
        using var workspace = new SelfClassifierWorkspace(logits.Backend, (int)views, samples, classes, globalViews, options.TauRow, options.TauCol, options.Epsilon);
        long badRow = kernels.FindInvalidRow(logits, RowCheck.Finite, workspace.Scan, out var problem);
        if (badRow >= 0)
        {
            throw new GslArgumentException(nameof(logits), $"view {badRow / samples}, sample {badRow % samples}: {problem}", badRow);
        }

        kernels.SelfClassifierRowStatistics(logits, workspace);
        kernels.SelfClassifierColumnStatistics(logits, workspace);
        double loss = kernels.SelfClassifierLoss(logits, workspace);
        kernels.SelfClassifierGradient(logits, workspace, dlogits);
        return loss;
    }
}
