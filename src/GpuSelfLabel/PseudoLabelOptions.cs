namespace GpuSelfLabel;

/// <summary>Options of the pseudo-label solvers of ops.md §4; the defaults are the spec's.</summary>
/// <param name="Lambda">Fairness weight λ in [0, <see cref="MaxLambda"/>] on KL(u ‖ ȳ) (default 1).</param>
/// <param name="Tolerance">Stop once max_ik |y' − y| &lt; tol (default 1e-6; ≥ 0, and 0 means never stop early: run exactly <paramref name="MaxIterations"/>).</param>
/// <param name="MaxIterations">Stop after this many iterations at the latest (default 1000; ≥ 1).</param>
/// <param name="Init">
/// Start Y⁰ (N×K float32, strictly positive rows on the simplex: a zero stays zero under EM); σ when null.
/// </param>
/// <param name="Prior">Prior u over the K classes (positive, sums to 1); uniform when null.</param>
public sealed record PseudoLabelOptions(
    double Lambda = 1.0,
    double Tolerance = 1e-6,
    int MaxIterations = 1000,
    Tensor? Init = null,
    float[]? Prior = null)
{
    /// <summary>
    /// The largest λ. The fairness term then outweighs the data term a million times over (the labels are
    /// the balanced assignment already); beyond it λ·KL and its gradient leave the float32 range.
    /// </summary>
    public const double MaxLambda = 1e6;
}
