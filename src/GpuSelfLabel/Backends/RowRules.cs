using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends;

/// <summary>
/// The row rules of ops.md (finite values; targets ≥ 0 summing to 1 within 1e-3; strictly positive EM
/// starts) and their sentences, in one place above the backends: the CPU backend checks every row with
/// them, the GPU backends find the first bad row on the device and describe it with the same words.
/// </summary>
internal static class RowRules
{
    /// <summary>What is wrong with one row under <paramref name="check"/>, or null when it passes.</summary>
    public static string? Problem(ReadOnlySpan<float> row, RowCheck check)
    {
        if (CertainlyValid(row, check))
        {
            return null;
        }

        double sum = 0;
        for (int k = 0; k < row.Length; k++)
        {
            float v = row[k];
            if (!float.IsFinite(v))
            {
                return $"column {k} is {v} (values must be finite)";
            }

            if (check == RowCheck.Distribution && v < 0)
            {
                return $"column {k} is {v} (entries must be ≥ 0)";
            }

            if (check == RowCheck.PositiveDistribution && v <= 0)
            {
                return $"column {k} is {v} (entries must be > 0: a zero start value stays zero under EM)";
            }

            sum += v;
        }

        if (check != RowCheck.Finite && Math.Abs(sum - 1) > 1e-3)
        {
            return $"sums to {sum:G6} (rows must sum to 1 within 1e-3)";
        }

        return null;
    }

    /// <summary>
    /// A SIMD screen in front of the exact scalar check: true only for a row that certainly passes
    /// (every valid row in practice), so a failing or borderline row still gets the exact test and its
    /// message. The float32 sum of K non-negative values is within (K − 1)·2^-24 of its exact value
    /// (relative), so accepting |sum − 1| up to 1e-3 less that bound never accepts a row the float64
    /// check would reject.
    /// </summary>
    private static bool CertainlyValid(ReadOnlySpan<float> row, RowCheck check)
    {
        if (row.IsEmpty)
        {
            return false;
        }

        if (check == RowCheck.Finite)
        {
            // NaN propagates through MaxMagnitude, and ±∞ is its own magnitude.
            return float.IsFinite(TensorPrimitives.MaxMagnitude(row));
        }

        float min = TensorPrimitives.Min(row);
        bool signsOk = check == RowCheck.Distribution ? min >= 0 : min > 0;
        if (!signsOk || !float.IsFinite(TensorPrimitives.Max(row)))
        {
            return false;
        }

        double sum = TensorPrimitives.Sum(row);
        double roundingBound = row.Length * Math.ScaleB(1.0, -24) * (sum + 1e-3);
        return Math.Abs(sum - 1) <= 1e-3 - roundingBound;
    }
}
