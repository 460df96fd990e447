using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// ln x in float64 SIMD arithmetic for positive normal x, inlined like <see cref="DoubleExp"/>:
/// x = 2^k·m with m in [√½, √2), ln m = 2 atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172, summed to
/// s^17 (truncation 3e-16 of ln m), and k·ln 2 added with a two-part ln 2. The absolute error is
/// a few 1e-16 (tested to 1e-14), far below the 1e-9 that ln((N/C)P + ε) must keep for the gradient's differences.
/// </summary>
internal static class DoubleLog
{
    private const double Ln2High = 0.6931471805599453;
    private const double Ln2Low = 2.3190468138462996e-17;

    /// <summary>Bits of √½: subtracting them puts the exponent field of x/√½ in the top bits.</summary>
    private const long SqrtHalfBits = 0x3FE6A09E667F3BCD;

    /// <summary>1.5·2^52: its bits plus a small integer k are the bits of 1.5·2^52 + k.</summary>
    private const double IntegerShift = 6755399441055744.0;

    /// <summary>ln x for every lane of <paramref name="x"/> (all positive and normal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Log(Vector<double> x)
    {
        var bits = Vector.AsVectorInt64(x);
        var k = Vector.ShiftRightArithmetic(bits - new Vector<long>(SqrtHalfBits), 52);
        var m = Vector.AsVectorDouble(bits - Vector.ShiftLeft(k, 52));
        var f = m - Vector<double>.One;
        var s = f / (f + new Vector<double>(2));
        var z = s * s;
        var z2 = z * z;
        var c01 = Vector.FusedMultiplyAdd(z, new Vector<double>(1.0 / 3), Vector<double>.One);
        var c23 = Vector.FusedMultiplyAdd(z, new Vector<double>(1.0 / 7), new Vector<double>(1.0 / 5));
        var c45 = Vector.FusedMultiplyAdd(z, new Vector<double>(1.0 / 11), new Vector<double>(1.0 / 9));
        var c67 = Vector.FusedMultiplyAdd(z, new Vector<double>(1.0 / 15), new Vector<double>(1.0 / 13));
        var c03 = Vector.FusedMultiplyAdd(c23, z2, c01);
        var c47 = Vector.FusedMultiplyAdd(c67, z2, c45);
        var z4 = z2 * z2;
        var c48 = Vector.FusedMultiplyAdd(z4, new Vector<double>(1.0 / 17), c47);
        var lnM = (s + s) * Vector.FusedMultiplyAdd(c48, z4, c03);

        // k as a float64 without a 64-bit integer conversion instruction (AVX2 has none).
        var kd = Vector.AsVectorDouble(Vector.AsVectorInt64(new Vector<double>(IntegerShift)) + k) - new Vector<double>(IntegerShift);
        return Vector.FusedMultiplyAdd(kd, new Vector<double>(Ln2High), Vector.FusedMultiplyAdd(kd, new Vector<double>(Ln2Low), lnM));
    }

    /// <summary>The 512-bit twin of <see cref="Log(Vector{double})"/>, lane for lane the same value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Log(Vector512<double> x)
    {
        var bits = Vector512.AsInt64(x);
        var k = Vector512.ShiftRightArithmetic(bits - Vector512.Create(SqrtHalfBits), 52);
        var m = Vector512.AsDouble(bits - Vector512.ShiftLeft(k, 52));
        var f = m - Vector512<double>.One;
        var s = f / (f + Vector512.Create(2.0));
        var z = s * s;
        var z2 = z * z;
        var c01 = Vector512.FusedMultiplyAdd(z, Vector512.Create(1.0 / 3), Vector512<double>.One);
        var c23 = Vector512.FusedMultiplyAdd(z, Vector512.Create(1.0 / 7), Vector512.Create(1.0 / 5));
        var c45 = Vector512.FusedMultiplyAdd(z, Vector512.Create(1.0 / 11), Vector512.Create(1.0 / 9));
        var c67 = Vector512.FusedMultiplyAdd(z, Vector512.Create(1.0 / 15), Vector512.Create(1.0 / 13));
        var c03 = Vector512.FusedMultiplyAdd(c23, z2, c01);
        var c47 = Vector512.FusedMultiplyAdd(c67, z2, c45);
        var z4 = z2 * z2;
        var c48 = Vector512.FusedMultiplyAdd(z4, Vector512.Create(1.0 / 17), c47);
        var lnM = (s + s) * Vector512.FusedMultiplyAdd(c48, z4, c03);

        var kd = Vector512.AsDouble(Vector512.AsInt64(Vector512.Create(IntegerShift)) + k) - Vector512.Create(IntegerShift);
        return Vector512.FusedMultiplyAdd(kd, Vector512.Create(Ln2High), Vector512.FusedMultiplyAdd(kd, Vector512.Create(Ln2Low), lnM));
    }

    /// <summary>The same value as a lane of <see cref="Log(Vector{double})"/>, for a row's tail.</summary>
    public static double Log(double x) => Log(new Vector<double>(x))[0];
}
