using Xunit.Sdk;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// The accuracy contract of ops.md in one place: elementwise |got − ref| ≤ 1e-4·|ref| + 1e-6 for
/// probabilities, gradients and pseudo-labels; scalar losses within relative 1e-5.
/// </summary>
public static class Approx
{
    public const double Relative = 1e-4;
    public const double Absolute = 1e-6;
    public const double ScalarRelative = 1e-5;

    /// <summary>Elementwise check against a float64 reference; the message names the worst element.</summary>
    public static void Elementwise(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what, double relative = Relative, double absolute = Absolute)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            double a = actual[i];
            if (!double.IsFinite(a) || Math.Abs(a - e) > (relative * Math.Abs(e)) + absolute)
            {
                throw new XunitException($"{what}[{i}] = {a:G9}, expected {e:G9} (|diff| {Math.Abs(a - e):G3} > {relative:G2}·|ref| + {absolute:G2})");
            }
        }
    }

    /// <summary>Scalar check within relative <see cref="ScalarRelative"/> (plus a tiny absolute floor for zero).</summary>
    public static void Scalar(double expected, double actual, string what, double relative = ScalarRelative)
    {
        if (!double.IsFinite(actual) || Math.Abs(actual - expected) > (relative * Math.Abs(expected)) + 1e-9)
        {
            throw new XunitException($"{what} = {actual:G9}, expected {expected:G9} (relative {Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300):G3} > {relative:G2})");
        }
    }

    /// <summary>Float32 values widened, for comparing two float32 results with the same helper.</summary>
    public static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}
