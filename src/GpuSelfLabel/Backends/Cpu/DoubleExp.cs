using System.Numerics;
using System.Runtime.CompilerServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// e^x in float64 SIMD arithmetic, inlined into the loops that use it so that a row's arguments and
/// results stay in registers (the span-to-span TensorPrimitives.Exp makes a pass over memory per call).
/// x = n·ln 2 + r with a two-part ln 2 (fused multiply-adds keep r exact to half a unit), then the
/// degree-11 Taylor polynomial of e^r, |r| ≤ ln 2 / 2 (truncation error 6e-15), scaled by 2^n: about
/// 1e-14 relative, a million times below what float32 would leave. Float64 and not
/// <see cref="SingleExp"/> because the Self-Classifier gradient subtracts A ⊙ ColumnH from H, nearly
/// equal where a column's softmax saturates, and a 1e-7 error there would grow by 1/(1 − A).
/// Arguments below −708 give 0 (where e^x would be subnormal or less; every caller sums or scales
/// probabilities, which such values cannot move); arguments above 709 give e^709.
/// </summary>
internal static class DoubleExp
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2High = 0.6931471805599453;
    private const double Ln2Low = 2.3190468138462996e-17;

    /// <summary>1.5·2^52: adding it rounds a float64 below 2^51 in magnitude to an integer held in its low bits.</summary>
    private const double RoundingShift = 6755399441055744.0;

    private const double Lowest = -745;
    private const double Highest = 709;

    /// <summary>e^x for every lane of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp<TLanes, TVector>(TVector x)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : unmanaged
    {
        // The native min/max are one instruction each; the arguments are never NaN (finite inputs).
        x = TLanes.MinNative(TLanes.MaxNative(x, TLanes.Create(Lowest)), TLanes.Create(Highest));
        var shifted = TLanes.FusedMultiplyAdd(x, TLanes.Create(Log2E), TLanes.Create(RoundingShift));
        var n = TLanes.Subtract(shifted, TLanes.Create(RoundingShift));
        var r = TLanes.FusedMultiplyAdd(n, TLanes.Create(-Ln2High), x);
        r = TLanes.FusedMultiplyAdd(n, TLanes.Create(-Ln2Low), r);

        // Estrin's scheme: five multiply-adds deep instead of Horner's eleven.
        var r2 = TLanes.Multiply(r, r);
        var r4 = TLanes.Multiply(r2, r2);
        var p01 = TLanes.Add(r, TLanes.Create(1));
        var p23 = TLanes.FusedMultiplyAdd(r, TLanes.Create(1.0 / 6), TLanes.Create(1.0 / 2));
        var p45 = TLanes.FusedMultiplyAdd(r, TLanes.Create(1.0 / 120), TLanes.Create(1.0 / 24));
        var p67 = TLanes.FusedMultiplyAdd(r, TLanes.Create(1.0 / 5040), TLanes.Create(1.0 / 720));
        var p89 = TLanes.FusedMultiplyAdd(r, TLanes.Create(1.0 / 362880), TLanes.Create(1.0 / 40320));
        var p1011 = TLanes.FusedMultiplyAdd(r, TLanes.Create(1.0 / 39916800), TLanes.Create(1.0 / 3628800));
        var p03 = TLanes.FusedMultiplyAdd(p23, r2, p01);
        var p47 = TLanes.FusedMultiplyAdd(p67, r2, p45);
        var p811 = TLanes.FusedMultiplyAdd(p1011, r2, p89);
        var p07 = TLanes.FusedMultiplyAdd(p47, r4, p03);
        var p = TLanes.FusedMultiplyAdd(p811, TLanes.Multiply(r4, r4), p07);

        // 2^n from its exponent bits (n sits in the low bits of the shifted value); n ≤ −1023 (x below
        // about −708.4) has none and becomes 0.
        var biased = TLanes.IntegerAdd(TLanes.IntegerSubtract(shifted, TLanes.Create(RoundingShift)), 1023);
        var scale = TLanes.IntegerShiftLeft(biased, 52);
        return TLanes.ConditionalSelect(TLanes.IntegerIsPositive(biased), TLanes.Multiply(p, scale), TLanes.Create(0));
    }

    /// <summary>The same value as a lane of <see cref="Exp{TLanes, TVector}(TVector)"/>, for a row's tail.</summary>
    public static double Exp(double x) => Exp<VectorLanes, Vector<double>>(new Vector<double>(x))[0];
}
