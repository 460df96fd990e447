namespace GpuSelfLabel.Backends;

/// <summary>
/// ops.md §4: the passes of the EM pseudo-label solver. The loop (start, stopping rule, objective
/// history) lives in <see cref="Solvers.EmSolver"/>; a backend only implements these passes. Column
/// sums and weights are K-vectors of <see cref="DType.Float64"/> on the backend, so the driver moves
/// K doubles each way per iteration and never the N×K matrix.
/// </summary>
internal partial interface IBackendKernels
{
    /// <summary>
    /// The element type the backend keeps the N×K EM iterate in: <see cref="DType.Float64"/> on every
    /// backend today (so the float32 output matches a float64 evaluation after hundreds of
    /// iterations, and a GPU takes the CPU's iteration count); a backend may choose
    /// <see cref="DType.Float32"/> only where that still meets the accuracy contract.
    /// </summary>
    DType PseudoLabelIterateType { get; }

    /// <summary>
    /// Elementwise copy of an N×K tensor into another of the same shape, converting between float32
    /// and <see cref="PseudoLabelIterateType"/> (either direction; same type is a plain copy, which the
    /// SeLa solver also uses to snapshot its float64 vectors on the device). Reads <paramref name="source"/>, writes every element of <paramref name="destination"/>.
    /// </summary>
    void PseudoLabelConvert(Tensor source, Tensor destination);

    /// <summary>
    /// Statistics of pseudo-labels Y against predictions σ that F(Y) needs. Reads
    /// <paramref name="probs"/> (N×K float32) and <paramref name="labels"/> (N×K, float32 or
    /// <see cref="PseudoLabelIterateType"/>); writes <paramref name="columnSums"/> (K, float64):
    /// s_k = Σ_i y_ik, summed over fixed row blocks whose partials are added in block order. Returns
    /// Σ_i −ln(Σ_k σ_ik y_ik), accumulated in float64 the same way (+∞ when a row's dot product is 0).
    /// <paramref name="scratch"/> is the caller's float64 workspace of Backend.EmScratchElements(K) elements.
    /// </summary>
    double PseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums, Tensor scratch);

    /// <summary>
    /// One EM step of ops.md §4 over all rows, fused with what the driver needs next. Reads
    /// <paramref name="probs"/> σ (N×K float32), <paramref name="current"/> Y (N×K iterate type) and
    /// <paramref name="weights"/> w (K float64, w_k = λ N u_k / s_k with s the column sums of Y, and
    /// w_k = 0 where s_k = 0). Per row, with d_i = Σ_c σ_ic y_ic:
    /// y'_ik = (σ_ik y_ik / d_i + w_k y_ik) / (1 + Σ_c w_c y_ic), which is the spec's update since
    /// λ N t_i = Σ_c w_c y_ic; a row with d_i = 0 is copied unchanged. Writes
    /// <paramref name="next"/> Y' (N×K iterate type, must not alias <paramref name="current"/>) and
    /// <paramref name="nextColumnSums"/> (K float64, s'_k = Σ_i y'_ik in fixed row blocks reduced
    /// in block order). Returns max_ik |y'_ik − y_ik| (exact) and Σ_i −ln(σ_i·y'_i) (float64).
    /// <paramref name="scratch"/> is the caller's float64 workspace of Backend.EmScratchElements(K)
    /// elements, allocated once per solve: no step allocates device memory.
    /// </summary>
    EmStepReport EmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch);

    /// <summary>
    /// <see cref="EmStep"/> with the driver's bookkeeping on the device, so that an iteration needs no
    /// host round trip: nothing at all once tracking.Track[0] ≠ 0 (an earlier step converged); else the
    /// step, then overwrites <paramref name="weights"/> with the next step's (w_k = λ N u_k / s'_k, 0 where
    /// s'_k = 0), stores F(Y') and the largest change in the iteration's slot of tracking.Track, and
    /// sets Track[0] = iteration + 1 when that change is below the tolerance (see <see cref="EmTracking"/>).
    /// </summary>
    void EmTrackedStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums, Tensor scratch, EmTracking tracking);
}
