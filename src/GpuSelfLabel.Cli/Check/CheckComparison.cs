using System.Globalization;

namespace GpuSelfLabel.Cli.Check;

/// <summary>
/// ops.md's accuracy contract applied between two backends. Each backend is held to the contract
/// against a float64 evaluation, so two of them may differ by twice it: elementwise
/// |got − cpu| ≤ 2·(1e-4·|cpu| + 1e-6), scalars within relative 2·1e-5, counts and 0/1 targets exact,
/// hard labels exact except where the CPU's codes have a near tie. <see cref="Scale"/> multiplies every
/// tolerance (0 demands bitwise agreement: how <c>--tolerance-scale 0</c> shows the check can fail).
/// </summary>
internal sealed class CheckComparison(double scale)
{
    public const double Relative = 2e-4;
    public const double Absolute = 2e-6;
    public const double ScalarRelative = 2e-5;
    public const double TieRelative = 1e-5;

    public double Scale { get; } = scale;

    /// <summary>The largest |got − cpu|, the largest ratio of a difference to what the contract allows, and the first violation.</summary>
    public CaseVerdict Compare(IReadOnlyList<CheckOutput> cpu, IReadOnlyList<CheckOutput> got)
    {
        double maxError = 0, worstRatio = 0;
        string? failure = null;
        if (cpu.Count != got.Count)
        {
            return new CaseVerdict(double.NaN, double.PositiveInfinity, $"{got.Count} outputs, the CPU gave {cpu.Count}");
        }

        for (int o = 0; o < cpu.Count; o++)
        {
            var expected = cpu[o];
            var actual = got[o];
            if (expected.Values.Length != actual.Values.Length)
            {
                failure ??= $"{expected.Name}: {actual.Values.Length} values, the CPU gave {expected.Values.Length}";
                worstRatio = double.PositiveInfinity;
                continue;
            }

            for (int i = 0; i < expected.Values.Length; i++)
            {
                double e = expected.Values[i], a = actual.Values[i];
                if (expected.Rule == CheckRule.Labels && e != a && NearTie(expected.Scores!, expected.Values.Length, i))
                {
                    continue;
                }

                double difference = BothInfinite(e, a) ? 0 : Math.Abs(a - e);
                double allowed = Allowed(expected.Rule, e);
                double ratio = difference == 0 ? 0 : allowed > 0 ? difference / allowed : double.PositiveInfinity;
                if (!double.IsNaN(difference))
                {
                    maxError = Math.Max(maxError, difference);
                }

                bool bad = double.IsNaN(a) || double.IsNaN(difference) || difference > allowed;
                if (bad)
                {
                    ratio = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
                    failure ??= string.Create(CultureInfo.InvariantCulture, $"{expected.Name}[{i}] = {a:G9}, CPU {e:G9} (|diff| {difference:G3} > allowed {allowed:G3})");
                }

                worstRatio = Math.Max(worstRatio, ratio);
            }
        }

        return new CaseVerdict(maxError, worstRatio, failure);
    }

    private double Allowed(CheckRule rule, double expected) => rule switch
    {
        CheckRule.Elementwise => Scale * ((Relative * Math.Abs(expected)) + Absolute),
        CheckRule.Scalar => Scale * ((ScalarRelative * Math.Abs(expected)) + 1e-9),
        _ => 0,
    };

    private static bool BothInfinite(double e, double a) => double.IsInfinity(e) && e == a;

    /// <summary>Whether row <paramref name="row"/> of the codes (rows × K) has its top two values within <see cref="TieRelative"/>.</summary>
    private static bool NearTie(float[] codes, int rows, int row)
    {
        int k = codes.Length / rows;
        float top = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var q in codes.AsSpan(row * k, k))
        {
            (top, second) = q > top ? (q, top) : (top, Math.Max(second, q));
        }

        return top - second <= TieRelative * Math.Abs(top);
    }
}

/// <summary>The outcome of one comparison: <see cref="Failure"/> is null when every value is within the contract.</summary>
internal sealed record CaseVerdict(double MaxError, double WorstRatio, string? Failure)
{
    public bool Ok => Failure is null;
}
