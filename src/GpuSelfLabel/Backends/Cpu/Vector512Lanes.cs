using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>The float64 lanes of a <see cref="Vector512{T}"/>: twice those of Vector&lt;T&gt; on AVX-512 hardware.</summary>
internal readonly struct Vector512Lanes : IDoubleLanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Add(Vector512<double> left, Vector512<double> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Subtract(Vector512<double> left, Vector512<double> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Multiply(Vector512<double> left, Vector512<double> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Divide(Vector512<double> left, Vector512<double> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Create(double value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Element(Vector512<double> vector, int index) => vector[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load(ref double source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> vector, ref double destination, nuint offset) => vector.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<double> Lower, Vector512<double> Upper) LoadWidened(ref float source, nuint offset) =>
        Vector512.Widen(Vector512.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Vector512<double> lower, Vector512<double> upper, ref float destination, nuint offset) =>
        Vector512.Narrow(lower, upper).StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> FusedMultiplyAdd(Vector512<double> left, Vector512<double> right, Vector512<double> addend) => Vector512.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> MinNative(Vector512<double> left, Vector512<double> right) => Vector512.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> MaxNative(Vector512<double> left, Vector512<double> right) => Vector512.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector512<double> vector) => Vector512.Sum(vector);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ConditionalSelect(Vector512<double> mask, Vector512<double> left, Vector512<double> right) => Vector512.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> IntegerAdd(Vector512<double> vector, long addend) => (vector.AsInt64() + Vector512.Create(addend)).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> IntegerSubtract(Vector512<double> left, Vector512<double> right) => (left.AsInt64() - right.AsInt64()).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> IntegerShiftLeft(Vector512<double> vector, int shift) => Vector512.ShiftLeft(vector.AsInt64(), shift).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> IntegerShiftRightArithmetic(Vector512<double> vector, int shift) => Vector512.ShiftRightArithmetic(vector.AsInt64(), shift).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> IntegerIsPositive(Vector512<double> vector) => Vector512.GreaterThan(vector.AsInt64(), Vector512<long>.Zero).AsDouble();
}
