using System.Numerics;
using System.Runtime.CompilerServices;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>The float64 lanes of a <see cref="Vector{T}"/>: the width the hardware prefers, 256 bits even where AVX-512 is present.</summary>
internal readonly struct VectorLanes : IDoubleLanes<Vector<double>>
{
    public static int Count => Vector<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Add(Vector<double> left, Vector<double> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Subtract(Vector<double> left, Vector<double> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Multiply(Vector<double> left, Vector<double> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Divide(Vector<double> left, Vector<double> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Create(double value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Element(Vector<double> vector, int index) => vector[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Load(ref double source, nuint offset) => Vector.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<double> vector, ref double destination, nuint offset) => vector.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector<double> Lower, Vector<double> Upper) LoadWidened(ref float source, nuint offset)
    {
        Vector.Widen(Vector.LoadUnsafe(ref source, offset), out var lower, out var upper);
        return (lower, upper);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Vector<double> lower, Vector<double> upper, ref float destination, nuint offset) =>
        Vector.Narrow(lower, upper).StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> FusedMultiplyAdd(Vector<double> left, Vector<double> right, Vector<double> addend) => Vector.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> MinNative(Vector<double> left, Vector<double> right) => Vector.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> MaxNative(Vector<double> left, Vector<double> right) => Vector.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector<double> vector) => Vector.Sum(vector);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> ConditionalSelect(Vector<double> mask, Vector<double> left, Vector<double> right) => Vector.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> IntegerAdd(Vector<double> vector, long addend) =>
        Vector.AsVectorDouble(Vector.AsVectorInt64(vector) + new Vector<long>(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> IntegerSubtract(Vector<double> left, Vector<double> right) =>
        Vector.AsVectorDouble(Vector.AsVectorInt64(left) - Vector.AsVectorInt64(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> IntegerShiftLeft(Vector<double> vector, int shift) =>
        Vector.AsVectorDouble(Vector.ShiftLeft(Vector.AsVectorInt64(vector), shift));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> IntegerShiftRightArithmetic(Vector<double> vector, int shift) =>
        Vector.AsVectorDouble(Vector.ShiftRightArithmetic(Vector.AsVectorInt64(vector), shift));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> IntegerIsPositive(Vector<double> vector) =>
        Vector.AsVectorDouble(Vector.GreaterThan(Vector.AsVectorInt64(vector), Vector<long>.Zero));
}
