using GpuSelfLabel.Backends;
using GpuSelfLabel.Selection;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// ops.md §8, Average-K classification: the global threshold that gives sets of average size K, the
/// pseudo-labels of a batch, and the two-head loss. Counts derived from K are rounded half to
/// even, like .NET's and NumPy's round (m = round(K·N): 2.5 → 2, 3.5 → 4). Order statistics are found by a radix select over the
/// scores' bit patterns, never by sorting.
/// </summary>
public static class AverageK
{
    /// <summary>
    /// t = ½(s_(m) + s_(m+1)), s sorted descending over all N·L scores, m = round(K·N) with
    /// 1 ≤ m &lt; N·L. With labels, also the fraction of rows whose true-class score is ≥ t.
    /// </summary>
    public static AverageKThreshold Threshold(Tensor scores, double k, int[]? labels = null)
    {
        Guard.Matrix(scores, nameof(scores));
        long rows = scores.Rows;
        if (labels is not null)
        {
            LabelGuard.ClassIndices(labels, rows, scores.Columns, nameof(labels));
        }

        long m = RoundedCount(k, rows);
        if (m < 1 || m >= scores.Length)
        {
            throw new GslArgumentException(nameof(k), $"K·N = {k}·{rows} rounds to m = {m}; the threshold needs 1 ≤ m < N·L = {scores.Length}");
        }

        var kernels = scores.Backend.Kernels;

        // The call's one workspace, which every pass and the finiteness check reuse.
        using var scratch = AllocateScratch(scores.Backend, rows, scores.Columns);
        var first = KeySelect.Descending(kernels, scores, null, m, scratch);

        // The first histogram already counted the non-finite scores: the row-by-row check, which names
        // the offending row, reads the scores again only when there is one (or the bins cannot tell).
        if (first.NonFinite != 0)
        {
            Guard.Finite(scores, nameof(scores), scratch);
        }

        uint secondKey = first.Above + first.Equal > m ? first.Key : first.NextBelow ?? kernels.AverageKMaxKeyBelow(scores, first.Key, scratch);
        float high = OrderedKey.ToSingle(first.Key);
        double threshold = 0.5 * ((double)high + OrderedKey.ToSingle(secondKey));

        // No score lies strictly between s_(m+1) and s_(m), so the scores ≥ t are those with a key ≥ s_(m)'s.
        long entries = first.Above + first.Equal;
        double? accuracy = null;
        if (labels is not null)
        {
            using var labelTensor = ClassIndexTensor.Upload(scores.Backend, labels);
            accuracy = (double)kernels.AverageKLabelHits(scores, labelTensor, high, scratch) / rows;
        }

        return new AverageKThreshold(threshold, accuracy, (double)entries / rows);
    }

    /// <summary>
    /// 0/1 pseudo-labels Z (B×L float32) of a batch from its (detached) probabilities: see
    /// <see cref="AverageKRule"/> for how the true labels combine with the round(K·B) budget.
    /// </summary>
    public static Tensor PseudoLabels(Tensor probs, int[] labels, double k, AverageKRule rule = AverageKRule.TruePlusTop)
    {
        Guard.Matrix(probs, nameof(probs));
        var output = probs.Backend.Allocate(DType.Float32, probs.Rows, probs.Columns);
        try
        {
            PseudoLabelsInto(probs, labels, k, output, rule);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="PseudoLabels"/> written into <paramref name="output"/>, a destination the caller owns
    /// (memory wrapped with <see cref="Backend.Wrap"/>, say). Every argument, the destination included,
    /// is checked before anything is written.
    /// </summary>
    /// <param name="probs">B×L float32 probabilities, each row a distribution.</param>
    /// <param name="labels">B true class indices in [0, L).</param>
    /// <param name="k">The average set size K: round(K·B) positives in all.</param>
    /// <param name="output">Destination of the 0/1 targets: B×L float32 on the probabilities' backend, sharing no memory with them.</param>
    /// <param name="rule">How the true labels combine with the budget.</param>
    /// <exception cref="GslArgumentException">An argument breaks a rule; the message names it and, for data, the first bad row.</exception>
    public static void PseudoLabelsInto(Tensor probs, int[] labels, double k, Tensor output, AverageKRule rule = AverageKRule.TruePlusTop)
    {
        Guard.Matrix(probs, nameof(probs));
        LabelGuard.ClassIndices(labels, probs.Rows, probs.Columns, nameof(labels));
        if (!Enum.IsDefined(rule))
        {
            throw new GslArgumentException(nameof(rule), $"{rule} is not an Average-K rule");
        }

        long positives = Positives(k, probs.Rows, probs.Columns, rule);
        Guard.Output(output, nameof(output), probs, probs.Shape, (probs, nameof(probs)));

        // The call's one workspace, which the check and every pass of the selection reuse.
        using var scratch = AllocateScratch(probs.Backend, probs.Rows, probs.Columns);
        Guard.Distributions(probs, nameof(probs), scratch);
        using var labelTensor = ClassIndexTensor.Upload(probs.Backend, labels);
        Select(probs, labelTensor, positives, rule, output, scratch);
    }

    /// <summary>
    /// The largest μ of <see cref="TwoHeadLoss"/>: the gradient μ/B·(σ − z) stays a float32 (the CPU takes
    /// a float64 path past μ/B = 1e30); beyond it the gradient leaves the float32 range.
    /// </summary>
    public const double MaxMu = 1e36;

    /// <summary>
    /// L = (1/B) Σ_i −ln softmax(a_i)_{y_i} + μ (1/B) Σ_ij BCE(b_ij, Z_ij), Z the true-plus-top
    /// pseudo-labels of softmax(a) (held constant), with ∂L/∂a and ∂L/∂b; μ in [0, <see cref="MaxMu"/>].
    /// </summary>
    public static TwoHeadLossResult TwoHeadLoss(Tensor logitsSoftmax, Tensor logitsMultilabel, int[] labels, double k, double mu = 1)
    {
        Guard.Matrix(logitsSoftmax, "logits-softmax");
        var backend = logitsSoftmax.Backend;
        Tensor? dsoftmax = null;
        Tensor? dmultilabel = null;
        try
        {
            dsoftmax = backend.Allocate(DType.Float32, logitsSoftmax.Rows, logitsSoftmax.Columns);
            dmultilabel = backend.Allocate(DType.Float32, logitsSoftmax.Rows, logitsSoftmax.Columns);
            double loss = TwoHeadLossInto(logitsSoftmax, logitsMultilabel, labels, k, mu, dsoftmax, dmultilabel);
            return new TwoHeadLossResult(loss, dsoftmax, dmultilabel);
        }
        catch
        {
            dsoftmax?.Dispose();
            dmultilabel?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="TwoHeadLoss"/> with ∂L/∂a and ∂L/∂b written into destinations the caller owns (memory
    /// wrapped with <see cref="Backend.Wrap"/>, say). Every argument, the destinations included, is
    /// checked before anything is written.
    /// </summary>
    /// <param name="logitsSoftmax">B×L float32 logits a of the softmax head, every value finite.</param>
    /// <param name="logitsMultilabel">B×L float32 logits b of the multi-label head, every value finite.</param>
    /// <param name="labels">B true class indices in [0, L).</param>
    /// <param name="k">The average set size K of the pseudo-labels Z.</param>
    /// <param name="mu">μ ≥ 0, the weight of the multi-label head.</param>
    /// <param name="dsoftmax">Destination of ∂L/∂a: B×L float32 on the logits' backend.</param>
    /// <param name="dmultilabel">Destination of ∂L/∂b: B×L float32 on the logits' backend.</param>
    /// <returns>The loss L.</returns>
    /// <exception cref="GslArgumentException">
    /// An argument breaks a rule; the message names it and, for data, the first bad row. A destination
    /// must be float32, B×L, on the logits' backend, and share no memory with either logits or the other
    /// destination (no in-place calls).
    /// </exception>
    public static double TwoHeadLossInto(Tensor logitsSoftmax, Tensor logitsMultilabel, int[] labels, double k, double mu, Tensor dsoftmax, Tensor dmultilabel)
    {
        Guard.Matrix(logitsSoftmax, "logits-softmax");
        Guard.Matrix(logitsMultilabel, "logits-multilabel");
        Guard.SameShape(logitsSoftmax, "logits-softmax", logitsMultilabel, "logits-multilabel");
        long batch = logitsSoftmax.Rows;
        LabelGuard.ClassIndices(labels, batch, logitsSoftmax.Columns, nameof(labels));
        long positives = Positives(k, batch, logitsSoftmax.Columns, AverageKRule.TruePlusTop);
        Guard.InRange(mu, 0, MaxMu, nameof(mu));
        Guard.Output(dsoftmax, nameof(dsoftmax), logitsSoftmax, logitsSoftmax.Shape, (logitsSoftmax, "logits-softmax"), (logitsMultilabel, "logits-multilabel"));
        Guard.Output(dmultilabel, nameof(dmultilabel), logitsSoftmax, logitsSoftmax.Shape, (logitsSoftmax, "logits-softmax"), (logitsMultilabel, "logits-multilabel"), (dsoftmax, nameof(dsoftmax)));
        var backend = logitsSoftmax.Backend;
        var kernels = backend.Kernels;
        long classes = logitsSoftmax.Columns;

        // The call's one workspace: the Average-K scratch (which the checks reuse), softmax(a) and Z.
        var layout = new ScratchLayout();
        long scratchElements = backend.AverageKScratchElements(batch, classes);
        long scratchAt = layout.Add(scratchElements * sizeof(double));
        long probsAt = layout.Add(batch * classes * sizeof(float));
        long targetsAt = layout.Add(batch * classes * sizeof(float));
        using var workspace = backend.Allocate(DType.Float64, layout.Elements);
        using var scratch = workspace.View(DType.Float64, [scratchElements], scratchAt);
        using var probs = workspace.View(DType.Float32, [batch, classes], probsAt);
        using var targets = workspace.View(DType.Float32, [batch, classes], targetsAt);
        Guard.Finite(logitsSoftmax, "logits-softmax", scratch);
        Guard.Finite(logitsMultilabel, "logits-multilabel", scratch);

        using var labelTensor = ClassIndexTensor.Upload(backend, labels);
        double crossEntropy = kernels.TwoHeadSoftmaxHead(logitsSoftmax, labelTensor, probs, dsoftmax, 1.0 / batch, scratch);
        Select(probs, labelTensor, positives, AverageKRule.TruePlusTop, targets, scratch);
        double binary = kernels.TwoHeadMultilabelHead(logitsMultilabel, targets, dmultilabel, mu / batch, scratch);
        return (crossEntropy + (mu * binary)) / batch;
    }

    /// <summary>round(K·count), half to even (the rounding of .NET's and NumPy's round); K must be finite.</summary>
    private static long RoundedCount(double k, long count)
    {
        if (!double.IsFinite(k))
        {
            throw new GslArgumentException(nameof(k), $"must be a finite number, got {k}");
        }

        double rounded = Math.Round(k * count, MidpointRounding.ToEven);
        return rounded < 0 ? -1 : rounded >= long.MaxValue ? long.MaxValue : (long)rounded;
    }

    /// <summary>The number of positives round(K·B) a rule needs, checked against what the batch can hold.</summary>
    private static long Positives(double k, long batch, long classes, AverageKRule rule)
    {
        long positives = RoundedCount(k, batch);
        long least = rule == AverageKRule.TruePlusTop ? batch : 1;
        long most = batch * classes;
        if (positives < least || positives > most)
        {
            string floor = rule == AverageKRule.TruePlusTop ? "B (every true label is positive)" : "1";
            throw new GslArgumentException(nameof(k), $"K·B = {k}·{batch} rounds to {positives} positives; they must lie in [{floor}, B·L = {most}]");
        }

        return positives;
    }

    /// <summary>
    /// Takes the top candidates by (value descending, flat index ascending) and marks them with the
    /// true labels: the q-th largest key is selected, every larger key is taken, and the tie quota
    /// q − (number above) is handed out to rows in order, each row taking its first tied columns.
    /// Writes the 0/1 targets into <paramref name="targets"/> (B×L float32); every pass reuses <paramref name="scratch"/>.
    /// </summary>
    private static void Select(Tensor probs, Tensor labels, long positives, AverageKRule rule, Tensor targets, Tensor scratch)
    {
        var kernels = probs.Backend.Kernels;
        bool exclude = rule == AverageKRule.TruePlusTop;
        var excluded = exclude ? labels : null;
        long q = exclude ? positives - probs.Rows : positives;
        uint key = uint.MaxValue;
        var quota = new long[probs.Rows];
        if (q > 0)
        {
            var selected = KeySelect.Descending(kernels, probs, excluded, q, scratch);
            key = selected.Key;
            long need = q - selected.Above;
            if (need == selected.Equal && key > 0)
            {
                // Every tied candidate is taken (the usual case without ties): they are exactly the
                // candidates above the next lower key, so no per-row tie counts and no quota are needed.
                key--;
            }
            else
            {
                var ties = new long[probs.Rows];
                kernels.AverageKTieCounts(probs, excluded, key, ties, scratch);
                for (int i = 0; i < quota.Length && need > 0; i++)
                {
                    quota[i] = Math.Min(ties[i], need);
                    need -= quota[i];
                }
            }
        }

        kernels.AverageKMarkTargets(probs, labels, exclude, key, quota, targets, scratch);
    }

    /// <summary>
    /// The Average-K scratch of one call over a rows×columns matrix (Backend.AverageKScratchElements): it
    /// holds every pass's partials and a row check's scan. The caller disposes it.
    /// </summary>
    private static Tensor AllocateScratch(Backend backend, long rows, long columns) =>
        backend.Allocate(DType.Float64, backend.AverageKScratchElements(rows, columns));
}
