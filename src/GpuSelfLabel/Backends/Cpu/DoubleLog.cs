using System.Numerics;
using System.Runtime.CompilerServices;

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

    /// <summary>The bits of <see cref="IntegerShift"/>.</summary>
    private const long IntegerShiftBits = 0x4338000000000000;

    /// <summary>ln x for every lane of <paramref name="x"/> (all positive and normal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Log<TLanes, TVector>(TVector x)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : unmanaged
    {
        var k = TLanes.IntegerShiftRightArithmetic(TLanes.IntegerAdd(x, -SqrtHalfBits), 52);
        var m = TLanes.IntegerSubtract(x, TLanes.IntegerShiftLeft(k, 52));
        var f = TLanes.Subtract(m, TLanes.Create(1));
        var s = TLanes.Divide(f, TLanes.Add(f, TLanes.Create(2)));
        var z = TLanes.Multiply(s, s);
        var z2 = TLanes.Multiply(z, z);
        var c01 = TLanes.FusedMultiplyAdd(z, TLanes.Create(1.0 / 3), TLanes.Create(1));
        var c23 = TLanes.FusedMultiplyAdd(z, TLanes.Create(1.0 / 7), TLanes.Create(1.0 / 5));
        var c45 = TLanes.FusedMultiplyAdd(z, TLanes.Create(1.0 / 11), TLanes.Create(1.0 / 9));
        var c67 = TLanes.FusedMultiplyAdd(z, TLanes.Create(1.0 / 15), TLanes.Create(1.0 / 13));
        var c03 = TLanes.FusedMultiplyAdd(c23, z2, c01);
        var c47 = TLanes.FusedMultiplyAdd(c67, z2, c45);
        var z4 = TLanes.Multiply(z2, z2);
        var c48 = TLanes.FusedMultiplyAdd(z4, TLanes.Create(1.0 / 17), c47);
        var lnM = TLanes.Multiply(TLanes.Add(s, s), TLanes.FusedMultiplyAdd(c48, z4, c03));

        // k as a float64 without a 64-bit integer conversion instruction (AVX2 has none).
        var kd = TLanes.Subtract(TLanes.IntegerAdd(k, IntegerShiftBits), TLanes.Create(IntegerShift));
        return TLanes.FusedMultiplyAdd(kd, TLanes.Create(Ln2High), TLanes.FusedMultiplyAdd(kd, TLanes.Create(Ln2Low), lnM));
    }

    /// <summary>The same value as a lane of <see cref="Log{TLanes, TVector}(TVector)"/>, for a row's tail.</summary>
    public static double Log(double x) => Log<VectorLanes, Vector<double>>(new Vector<double>(x))[0];
}
