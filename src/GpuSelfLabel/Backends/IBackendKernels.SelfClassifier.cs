namespace GpuSelfLabel.Backends;

/// <summary>
/// ops.md §7 as four passes over V×N×C logits S (row v·N + n). Notation per view v:
/// A = softmax over n of S/τ_c, a_n = Σ_y A_ny, T = A / max(a, ε); R = softmax over y of S/τ_r,
/// r_y = Σ_n R_ny, P = R / max(r, ε), Q = ln((N/C)·P + ε). With w = 1/(N·Pairs), J(v) the views
/// paired with v, GT^v = −w Σ_{j∈J(v)} Q^j and GQ^v = −w Σ_{i∈J(v)} T^i:
/// H = T ⊙ (GT − [a ≥ ε]·Σ_y GT T) and K = GQ ⊙ (N/C)P / ((N/C)P + ε) are the products A ⊙ ∂Loss/∂A
/// and P ⊙ ∂Loss/∂P, bounded even where A, P underflow, which is what makes the backward pass stable.
/// Passes 3 and 4 are row-parallel over samples n and handle all V views of a sample together.
/// </summary>
internal partial interface IBackendKernels
{
    /// <summary>
    /// Pass 1, one row (v, n) per work item: writes RowMax and RowLogSum of the workspace. A backend may
    /// also write pass 2's ColumnMax and ColumnSumR here (the CPU backend does: it holds each row's
    /// exponentials at this point); pass 2 then leaves them as they are.
    /// </summary>
    void SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace);

    /// <summary>
    /// Pass 2, column reductions over n (per view and class; blocked partials merged in a fixed order):
    /// reads RowMax, RowLogSum; writes ColumnMax, ColumnLogSum and ColumnSumR (those pass 1 has not written).
    /// </summary>
    void SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace);

    /// <summary>
    /// Pass 3, per sample n over all views: reads the statistics of passes 1–2; writes ColumnH and
    /// ColumnK (column sums over n, blocked, fixed order; the GPU backends also write RowLogSumA and
    /// RowDot for their pass 4) and returns the loss
    /// −w Σ_n Σ_v Σ_y T^v_ny Σ_{j∈J(v)} Q^j_ny, summed in float64.
    /// </summary>
    double SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace);

    /// <summary>
    /// Pass 4, per sample n over all views: recomputes H, K, A, R, P and writes
    /// ∂Loss/∂S = (H − A ⊙ ColumnH)/τ_c + (M − R ⊙ Σ_y M)/τ_r with M = K − [r ≥ ε]·P ⊙ ColumnK.
    /// </summary>
    void SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits);
}
