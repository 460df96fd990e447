namespace GpuSelfLabel.Backends;

/// <summary>
/// ops.md §8 as passes. Selections work on <see cref="Selection.OrderedKey"/> keys of float32 scores:
/// the host narrows a key prefix from histograms (<see cref="Selection.KeySelect"/>), so a backend
/// only counts. <c>labels</c> are int32 vectors with one class index per row, already validated.
/// Every pass takes <c>scratch</c>: a float64 tensor of Backend.AverageKScratchElements(rows, columns)
/// elements (rows × columns the shape of the scores or logits) that the caller (one Average-K or
/// two-head call) allocates once and hands to every pass; launchers never allocate device memory (CUB's
/// habit). The CPU backend keeps its partials in managed memory and ignores it.
/// </summary>
internal partial interface IBackendKernels
{
    /// <summary>
    /// Key bits per radix-select round, most significant first, summing to 32: one
    /// <see cref="AverageKKeyHistogram"/> pass over the scores per round. The default suits histograms
    /// in GPU local memory; a backend whose histograms live in large caches may take wider digits and fewer passes.
    /// </summary>
    ReadOnlySpan<int> AverageKRoundBits => Selection.OrderedKey.RoundBits;

    /// <summary>
    /// Adds to <paramref name="histogram"/> (length 2^<paramref name="binBits"/>, zeroed by the caller)
    /// the candidates whose key's top <paramref name="prefixBits"/> bits equal <paramref name="prefix"/>,
    /// binned by the next <paramref name="binBits"/> bits. Candidates are all entries of the rows×columns
    /// <paramref name="scores"/>, less entry (i, labels[i]) of each row when <paramref name="excludedLabels"/> is given.
    /// </summary>
    void AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram, Tensor scratch);

    /// <summary>rowCounts[i] = number of candidates in row i whose key equals <paramref name="key"/> (candidates as above).</summary>
    void AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts, Tensor scratch);

    /// <summary>
    /// Writes 0/1 targets: 1 at (i, labels[i]); 1 at every candidate with key above <paramref name="key"/>;
    /// 1 at the first tieQuota[i] candidates of row i (in column order) whose key equals it; else 0.
    /// Candidates leave out the label entries when <paramref name="excludeLabels"/> is true.
    /// </summary>
    void AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets, Tensor scratch);

    /// <summary>The largest key of <paramref name="scores"/> below <paramref name="key"/> (uint.MinValue when none is).</summary>
    uint AverageKMaxKeyBelow(Tensor scores, uint key, Tensor scratch);

    /// <summary>Number of rows i whose true-class score scores[i, labels[i]] is ≥ <paramref name="value"/> (a gather of N values).</summary>
    long AverageKLabelHits(Tensor scores, Tensor labels, float value, Tensor scratch);

    /// <summary>
    /// Softmax head of the two-head loss: writes probs = softmax(a) (float64, rounded once) and
    /// dlogits = scale·(probs − onehot(labels)); returns Σ_i (LSE(a_i) − a_{i,labels[i]}) in float64.
    /// </summary>
    double TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale, Tensor scratch);

    /// <summary>
    /// Multi-label head: writes dlogits = scale·(sigmoid(b) − targets); returns Σ_ij BCE(b_ij, targets_ij)
    /// in float64, BCE(x, z) = z·softplus(−x) + (1 − z)·softplus(x) for 0/1 z (= softplus(x) − z·x).
    /// </summary>
    double TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale, Tensor scratch);
}
