using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    public static Vector<double> Exp(Vector<double> x)
    {
        // The native min/max are one instruction each; the arguments are never NaN (finite inputs).
        x = Vector.MinNative(Vector.MaxNative(x, new Vector<double>(Lowest)), new Vector<double>(Highest));
        var shifted = Vector.FusedMultiplyAdd(x, new Vector<double>(Log2E), new Vector<double>(RoundingShift));
        var n = shifted - new Vector<double>(RoundingShift);
        var r = Vector.FusedMultiplyAdd(n, new Vector<double>(-Ln2High), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<double>(-Ln2Low), r);

        // Estrin's scheme: five multiply-adds deep instead of Horner's eleven.
        var r2 = r * r;
        var r4 = r2 * r2;
        var p01 = r + Vector<double>.One;
        var p23 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 6), new Vector<double>(1.0 / 2));
        var p45 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 120), new Vector<double>(1.0 / 24));
        var p67 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 5040), new Vector<double>(1.0 / 720));
        var p89 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 362880), new Vector<double>(1.0 / 40320));
        var p1011 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 39916800), new Vector<double>(1.0 / 3628800));
        var p03 = Vector.FusedMultiplyAdd(p23, r2, p01);
        var p47 = Vector.FusedMultiplyAdd(p67, r2, p45);
        var p811 = Vector.FusedMultiplyAdd(p1011, r2, p89);
        var p07 = Vector.FusedMultiplyAdd(p47, r4, p03);
        var p = Vector.FusedMultiplyAdd(p811, r4 * r4, p07);

        // 2^n from its exponent bits (n sits in the low bits of the shifted value); n ≤ −1023 (x below
        // about −708.4) has none and becomes 0.
        var biased = Vector.AsVectorInt64(shifted) - Vector.AsVectorInt64(new Vector<double>(RoundingShift)) + new Vector<long>(1023);
        var scale = Vector.AsVectorDouble(Vector.ShiftLeft(biased, 52));
        return Vector.ConditionalSelect(Vector.GreaterThan(biased, Vector<long>.Zero), p * scale, Vector<double>.Zero);
    }

    /// <summary>The 512-bit twin of <see cref="Exp(Vector{double})"/>, lane for lane the same value: where the hardware has it, twice the lanes per instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
    {
        x = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var shifted = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(RoundingShift));
        var n = shifted - Vector512.Create(RoundingShift);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);

        var r2 = r * r;
        var r4 = r2 * r2;
        var p01 = r + Vector512<double>.One;
        var p23 = Vector512.FusedMultiplyAdd(r, Vector512.Create(1.0 / 6), Vector512.Create(1.0 / 2));
        var p45 = Vector512.FusedMultiplyAdd(r, Vector512.Create(1.0 / 120), Vector512.Create(1.0 / 24));
        var p67 = Vector512.FusedMultiplyAdd(r, Vector512.Create(1.0 / 5040), Vector512.Create(1.0 / 720));
        var p89 = Vector512.FusedMultiplyAdd(r, Vector512.Create(1.0 / 362880), Vector512.Create(1.0 / 40320));
        var p1011 = Vector512.FusedMultiplyAdd(r, Vector512.Create(1.0 / 39916800), Vector512.Create(1.0 / 3628800));
        var p03 = Vector512.FusedMultiplyAdd(p23, r2, p01);
        var p47 = Vector512.FusedMultiplyAdd(p67, r2, p45);
        var p811 = Vector512.FusedMultiplyAdd(p1011, r2, p89);
        var p07 = Vector512.FusedMultiplyAdd(p47, r4, p03);
        var p = Vector512.FusedMultiplyAdd(p811, r4 * r4, p07);

        var biased = Vector512.AsInt64(shifted) - Vector512.AsInt64(Vector512.Create(RoundingShift)) + Vector512.Create(1023L);
        var scale = Vector512.AsDouble(Vector512.ShiftLeft(biased, 52));
        return Vector512.ConditionalSelect(Vector512.GreaterThan(biased, Vector512<long>.Zero).AsDouble(), p * scale, Vector512<double>.Zero);
    }

    /// <summary>The same value as a lane of <see cref="Exp(Vector{double})"/>, for a row's tail.</summary>
    public static double Exp(double x) => Exp(new Vector<double>(x))[0];
}
