namespace GpuSelfLabel.Backends;

/// <summary>
/// ops.md §5 (SeLa) and §6 (SwAV) as passes over a float32 matrix X (rows × K). The drivers in
/// <c>Solvers/</c> own the loops, the convergence test and the head loop; a backend only implements
/// these passes. Every vector (K-vectors, N-vectors) is a contiguous float64 tensor: the scaling
/// vectors reach magnitudes of λ·|z| (thousands), where float32 would lose the 1e-6 absolute accuracy
/// the contract asks of log r and log c.
/// <para>
/// Row ranges: <c>matrix</c> may be a chunk of a larger N×K problem. Its row j is problem row
/// <c>firstRow + j</c>, which is where the N-vectors are read and written; K-vector outputs either
/// overwrite (<c>accumulate = false</c>) or fold the chunk into what is there (<c>true</c>), so a
/// driver can stream a matrix that does not fit in device memory chunk by chunk.
/// </para>
/// <para>
/// Row maxima: the SeLa passes take each row's largest logit m_i = max_k z_ik (an N-vector the setup
/// pass writes) and form λ·(z_ik − m_i) rather than λ·z_ik, as ops.md's P = exp(λ(z − LSE z)) does.
/// z_ik − m_i is exact and 0 for every entry tied with the maximum, so a row of logits near 1e15 keeps
/// the O(1) terms (log r, the log of the tie count) that split its tied entries; added to λ·z_ik they
/// would fall below float64's resolution and leave code rows summing to the number of ties.
/// </para>
/// <para>
/// Reductions over rows must be deterministic: fixed row blocks whose partials are combined in block
/// order, never atomics whose order depends on scheduling.
/// </para>
/// </summary>
// Passes that reduce over rows take `scratch`: a float64 tensor of at least
// Backend.ReductionScratchElements(K) elements that the caller (a solver, once per call) allocates, reuses
// across iterations and chunks, and frees; launchers never allocate device memory (CUB's habit). The CPU
// backend's passes keep their partials in managed memory and ignore it.
internal partial interface IBackendKernels
{
    /// <summary>
    /// output[firstRow + i] = offset + LSE_k(scale·x_ik − columnShift_k) for every row i of
    /// <paramref name="matrix"/>; a null <paramref name="columnShift"/> is all zeros. With
    /// <paramref name="rowMax"/> the two parts of the LSE are kept apart: rowMax[firstRow + i] = m_i =
    /// max_k(scale·x_ik − columnShift_k) and output = offset + log Σ_k exp(scale·x_ik − columnShift_k − m_i).
    /// Reads matrix (rows×K float32) and columnShift (K float64); writes output and rowMax (N float64).
    /// </summary>
    void SinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output, Tensor? rowMax);

    /// <summary>
    /// output_k = offset + LSE_i(scale·(x_ik − rowMax_i) − rowShift_i) over the rows of
    /// <paramref name="matrix"/> (row i of the matrix is entry firstRow + i of the N-vectors), or with
    /// <paramref name="accumulate"/> output_k = log(exp(output_k) + exp(that)); a null
    /// <paramref name="rowMax"/> is all zeros. Reads matrix (rows×K float32), rowMax and rowShift (N
    /// float64); writes output (K float64).
    /// </summary>
    void SinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? rowMax, Tensor rowShift, double offset, Tensor output, bool accumulate, Tensor scratch);

    /// <summary>
    /// The fused SeLa iteration, one read of the logits. For each row i, with x_ik = λ·(z_ik − m_i) +
    /// logR_k (m_i = rowMax_i): a_i = LSE_k x_ik (so log c'_i = −log N + λ·(LSE_k z_ik − m_i) − a_i),
    /// q_ik = exp(x_ik − a_i) (a row of the soft codes), columnSums_k (+)= Σ_i q_ik (the next r follows
    /// as log r'_k = log N − log K + logR_k − log columnSums_k). <paramref name="rowState"/> holds the
    /// previous a_i on entry (λ·(LSE_k z_ik − m_i) before the first pass) and a_i on return. With
    /// <paramref name="measureError"/> the pass returns Σ_i |exp(a_i − a_i^previous) − 1| over its rows
    /// (= Σ_i |c_i / c'_i − 1|), otherwise 0. Reads logits (rows×K float32), rowMax (N float64) and logR
    /// (K float64); reads and writes rowState (N float64); writes columnSums (K float64).
    /// </summary>
    double SinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError, Tensor scratch);

    /// <summary>
    /// The next r on the device (the driver's update, so an iteration needs no host round trip): for each
    /// column with a trusted sum (finite and ≥ smallestTrusted), logR_k = logR_k + (offset − log columnSums_k);
    /// for any other column logR_k is left as it is and status[0] is set to 1, so that the driver takes
    /// that r from a column log-sum-exp pass instead. Nothing here clears status. Reads columnSums (K
    /// float64); reads and writes logR (K float64); may write status (1 float64).
    /// </summary>
    void SinkhornSelaLogR(Tensor columnSums, double offset, double smallestTrusted, Tensor logR, Tensor status);

    /// <summary>
    /// SeLa outputs from the last pass's logR and a (rowState), with x_ik = λ·(z_ik − m_i) + logR_k as
    /// in the pass: labels[firstRow + i] = the lowest k maximising x_ik; logC[firstRow + i] = rowLse_i −
    /// a_i − logRows (rowLse_i = λ·(LSE_k z_ik − m_i), logRows = log N); codes_ik = exp(x_ik − a_i) when
    /// <paramref name="codes"/> is given. Reads logits (rows×K float32), logR (K float64), rowMax, rowLse
    /// and rowState (N float64); writes logC (N float32), labels (N int64) and codes (rows×K float32).
    /// </summary>
    void SinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor rowMax, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes);

    /// <summary>
    /// output_ik = exp(scale·x_ik − columnShift_k − rowShift_i + offset) (the SwAV codes from their log
    /// scalings); a null <paramref name="columnShift"/> is all zeros. Reads matrix (B×K float32),
    /// columnShift (K float64), rowShift (B float64); writes output (B×K float32).
    /// </summary>
    void SinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output);

    /// <summary>
    /// The SwAV log domain's last row normalisation and its output in one read of the scores:
    /// y_ik = scale·s_ik − columnShift_k, output_ik = exp(y_ik − LSE_k y_ik). Each row is normalised by
    /// its own maximum and sum, so it sums to 1 even where |y| ≈ 1e31 leaves a float64 row shift no room
    /// for O(1) terms. Reads scores (B×K float32) and columnShift (K float64); writes output (B×K float32).
    /// </summary>
    void SwavLogCodes(Tensor scores, double scale, Tensor columnShift, Tensor output);

    /// <summary>
    /// matrix_ik += bias_k in place: the classifier's bias on a chunk of scores recomputed from features.
    /// Reads and writes matrix (rows×K float32); reads bias (K float32).
    /// </summary>
    void SinkhornAddBias(Tensor matrix, Tensor bias);

    /// <summary>
    /// The SwAV codes in the linear domain start here: output_ik = exp(scale·s_ik − m_i) with
    /// m_i = max_k scale·s_ik (float64 exponentials, rounded to float32), rowMax_i = m_i and
    /// rowSpread_i = m_i − min_k scale·s_ik; a row with a NaN or infinite score gets a NaN or infinite
    /// m_i or spread (the solver's finiteness screen). A backend that can do so in the same read also
    /// writes columnSums_k = Σ_i output_ik·exp(m_i − max_i m_i) in float64 (the column sums of
    /// exp(scale·S) up to one factor, which the first column step needs) and returns true; one that
    /// returns false leaves them to <see cref="SwavColumnSums"/>, which the caller then runs only if it
    /// takes the linear path. Reads scores (B×K float32); writes output (B×K float32), rowMax and
    /// rowSpread (B float64) and perhaps columnSums (K float64).
    /// </summary>
    bool SwavExpRows(Tensor scores, double scale, Tensor rowMax, Tensor rowSpread, Tensor output, Tensor columnSums);

    /// <summary>
    /// columnSums_k = Σ_i e_ik·rowWeights_i in float64, over fixed row blocks. Reads e (B×K float32) and
    /// rowWeights (B float64); writes columnSums (K float64).
    /// </summary>
    void SwavColumnSums(Tensor e, Tensor rowWeights, Tensor columnSums, Tensor scratch);

    /// <summary>
    /// A row normalisation fused with the next column sums, one read of e: rowWeights_i = rowTarget /
    /// Σ_k e_ik·columnWeights_k, then, when <paramref name="columnSums"/> is given, columnSums_k =
    /// Σ_i e_ik·rowWeights_i with the new weights (float64, fixed row blocks). Reads e (B×K float32) and
    /// columnWeights (K float64); writes rowWeights (B float64) and columnSums (K float64).
    /// </summary>
    void SwavRowStep(Tensor e, Tensor columnWeights, double rowTarget, Tensor rowWeights, Tensor? columnSums, Tensor scratch);

    /// <summary>
    /// The SwAV column step on the device: columnWeights_k = 1 / (K·columnSums_k), K the length of both.
    /// Reads columnSums (K float64); writes columnWeights (K float64).
    /// </summary>
    void SwavColumnWeights(Tensor columnSums, Tensor columnWeights);

    /// <summary>
    /// The last row normalisation and the final scaling in one read of e: u_i = rowTarget /
    /// Σ_k e_ik·columnWeights_k, then e_ik ← factor·e_ik·u_i·columnWeights_k in place (the product in
    /// float64, rounded to float32). Reads columnWeights (K float64); reads and writes e (B×K float32).
    /// </summary>
    void SwavRowStepAndScale(Tensor e, Tensor columnWeights, double rowTarget, double factor);

    /// <summary>
    /// e_ik ← factor·e_ik·rowWeights_i·columnWeights_k in place, the product in float64 rounded to
    /// float32. Reads and writes e (B×K float32); reads rowWeights (B float64), columnWeights (K float64).
    /// </summary>
    void SwavScale(Tensor e, Tensor rowWeights, Tensor columnWeights, double factor);
}
