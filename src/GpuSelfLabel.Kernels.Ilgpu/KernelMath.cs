using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// exp and log for the ILGPU kernels, in plain arithmetic. Without NVVM's libdevice, ILGPU's PTX
/// backend turns MathF.Exp into ex2.approx.f32 and Math.Exp(double) into a long CORDIC routine of
/// ILGPU.Algorithms (about 100 KB of PTX a kernel, and slow); these are a Cody–Waite range reduction
/// and a polynomial, within about 1 ulp, the same code on the CPU accelerator (tests) and on the GPU.
/// </summary>
internal static class KernelMath
{
    private const double Log2E = 1.4426950408889634;

    // ln 2 split so that n·Ln2Hi is exact for the n that occur (the high part has its low bits zero).
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const float Ln2HiF = 0.693145752f;
    private const float Ln2LoF = 1.42860677e-06f;

    /// <summary>e^x in float64: 0 below −745.2, +∞ above 709.79, NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x)
    {
        if (!(x > -745.2))
        {
            return double.IsNaN(x) ? x : 0.0;
        }

        if (x > 709.79)
        {
            return double.PositiveInfinity;
        }

        double scaled = x * Log2E;
        long n = (long)(scaled + (scaled >= 0 ? 0.5 : -0.5));
        double r = (x - (n * Ln2Hi)) - (n * Ln2Lo);

        // Taylor series to r^13 over |r| ≤ 0.347: the first omitted term is below 4e-18.
        double p = 1.0 / 6227020800.0;
        p = (p * r) + (1.0 / 479001600.0);
        p = (p * r) + (1.0 / 39916800.0);
        p = (p * r) + (1.0 / 3628800.0);
        p = (p * r) + (1.0 / 362880.0);
        p = (p * r) + (1.0 / 40320.0);
        p = (p * r) + (1.0 / 5040.0);
        p = (p * r) + (1.0 / 720.0);
        p = (p * r) + (1.0 / 120.0);
        p = (p * r) + (1.0 / 24.0);
        p = (p * r) + (1.0 / 6.0);
        p = (p * r) + 0.5;
        p = (p * r) + 1.0;
        p = (p * r) + 1.0;

        // 2^n in two normal factors, so that results in the subnormal range and n = 1024 both come out.
        // Only the sum half + (n − half) matters: ILGPU's PTX computes n / 2 with an arithmetic shift
        // (rounding down where C# truncates), and either split keeps both factors normal.
        long half = n / 2;
        return p * PowerOfTwo(half) * PowerOfTwo(n - half);
    }

    /// <summary>e^x in float32: 0 below −104, +∞ above 88.73, NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (!(x > -104f))
        {
            return float.IsNaN(x) ? x : 0f;
        }

        if (x > 88.73f)
        {
            return float.PositiveInfinity;
        }

        float scaled = x * 1.44269504f;
        int n = (int)(scaled + (scaled >= 0 ? 0.5f : -0.5f));
        float r = (x - (n * Ln2HiF)) - (n * Ln2LoF);

        // Taylor series to r^7 over |r| ≤ 0.347: the first omitted term is below 6e-9.
        float p = 1f / 5040f;
        p = (p * r) + (1f / 720f);
        p = (p * r) + (1f / 120f);
        p = (p * r) + (1f / 24f);
        p = (p * r) + (1f / 6f);
        p = (p * r) + 0.5f;
        p = (p * r) + 1f;
        p = (p * r) + 1f;
        int half = n / 2;
        return p * PowerOfTwo(half) * PowerOfTwo(n - half);
    }

    /// <summary>ln x in float64: −∞ at 0, NaN below 0 and for NaN, +∞ at +∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double x)
    {
        if (!(x > 0.0) || x == double.PositiveInfinity)
        {
            return x == 0.0 ? double.NegativeInfinity : (x == double.PositiveInfinity ? x : double.NaN);
        }

        long bias = 0;
        if (x < 2.2250738585072014e-308)
        {
            x *= 18014398509481984.0; // 2^54: subnormals become normal.
            bias = 54;
        }

        ulong bits = Interop.FloatAsInt(x);
        long e = (long)((bits >> 52) & 0x7ff) - 1023 - bias;
        double m = Interop.IntAsFloat((bits & 0x000fffffffffffffUL) | 0x3ff0000000000000UL);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }

        // ln m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716: the odd series to s^21.
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double p = 1.0 / 21.0;
        p = (p * s2) + (1.0 / 19.0);
        p = (p * s2) + (1.0 / 17.0);
        p = (p * s2) + (1.0 / 15.0);
        p = (p * s2) + (1.0 / 13.0);
        p = (p * s2) + (1.0 / 11.0);
        p = (p * s2) + (1.0 / 9.0);
        p = (p * s2) + (1.0 / 7.0);
        p = (p * s2) + (1.0 / 5.0);
        p = (p * s2) + (1.0 / 3.0);
        double logM = 2.0 * s + (2.0 * s * s2 * p);
        return (e * Ln2Hi) + (logM + (e * Ln2Lo));
    }

    /// <summary>ln x of a float32, evaluated in float64 and rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log(float x) => (float)Log((double)x);

    /// <summary>2^n for n in [−1022, 1023].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowerOfTwo(long n) => Interop.IntAsFloat((ulong)(n + 1023) << 52);

    /// <summary>2^n for n in [−126, 127].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PowerOfTwo(int n) => Interop.IntAsFloat((uint)(n + 127) << 23);
}
