using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends;

/// <summary>
/// Element conversions between float32 and the 16-bit storage types a score matrix may have (float16,
/// bfloat16), for every backend's host side: the CPU backend's row loads, a GPU backend's host
/// re-check of a downloaded row, and whoever writes test or synthetic data.
/// </summary>
internal static class StorageConversion
{
    /// <summary>True for the element types a score matrix may be stored in.</summary>
    public static bool IsStorageType(DType dtype) => dtype is DType.Float32 or DType.Float16 or DType.BFloat16;

    /// <summary>Converts 16-bit storage (float16 or bfloat16 bits) to float32.</summary>
    public static void ToSingle(DType dtype, ReadOnlySpan<ushort> source, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
                break;
            case DType.BFloat16:
                BFloat16ToSingle(source, destination);
                break;
            default:
                throw new InvalidOperationException($"{dtype} is not a 16-bit storage type");
        }
    }

    /// <summary>bfloat16 is the upper half of a float32: widening is a 16-bit shift, exact for every value.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        ref ushort sr = ref MemoryMarshal.GetReference(source);
        ref uint dr = ref MemoryMarshal.GetReference(bits);
        int width = Vector<ushort>.Count;
        int k = 0;
        for (; k <= source.Length - width; k += width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)k), out var low, out var high);
            Vector.ShiftLeft(low, 16).StoreUnsafe(ref dr, (nuint)k);
            Vector.ShiftLeft(high, 16).StoreUnsafe(ref dr, (nuint)(k + (width / 2)));
        }

        for (; k < source.Length; k++)
        {
            bits[k] = (uint)source[k] << 16;
        }
    }

    /// <summary>
    /// float32 rows to a storage type: float32 copies, float16 rounds to nearest even
    /// (TensorPrimitives), bfloat16 too (<see cref="SingleToBFloat16(float)"/>, vectorised).
    /// </summary>
    public static unsafe void Store(ReadOnlySpan<float> source, DType dtype, nint destination)
    {
        switch (dtype)
        {
            case DType.Float32:
                source.CopyTo(new Span<float>((float*)destination, source.Length));
                break;
            case DType.Float16:
                TensorPrimitives.ConvertToHalf(source, new Span<Half>((Half*)destination, source.Length));
                break;
            case DType.BFloat16:
                SingleToBFloat16(source, new Span<ushort>((ushort*)destination, source.Length));
                break;
            default:
                throw new InvalidOperationException($"{dtype} is not a storage type of score matrices");
        }
    }

    /// <summary>The vectorised <see cref="SingleToBFloat16(float)"/> of every element.</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        ref uint sr = ref MemoryMarshal.GetReference(bits);
        ref ushort dr = ref MemoryMarshal.GetReference(destination);
        int width = Vector<uint>.Count;
        var half = new Vector<uint>(0x7FFF);
        var nan = new Vector<uint>(0x7F800000);
        int k = 0;
        for (; k <= source.Length - (2 * width); k += 2 * width)
        {
            var low = Vector.LoadUnsafe(ref sr, (nuint)k);
            var high = Vector.LoadUnsafe(ref sr, (nuint)(k + width));
            Vector.Narrow(Round(low), Round(high)).StoreUnsafe(ref dr, (nuint)k);
        }

        for (; k < source.Length; k++)
        {
            destination[k] = SingleToBFloat16(source[k]);
        }

        Vector<uint> Round(Vector<uint> v)
        {
            var rounded = (v + half + ((v >> 16) & Vector<uint>.One)) >> 16;

            // A NaN keeps its sign and gets a quiet payload bit instead of rounding into infinity.
            var isNan = Vector.GreaterThan(v & new Vector<uint>(0x7FFFFFFF), nan);
            return Vector.ConditionalSelect(isNan, (v >> 16) | new Vector<uint>(0x40), rounded);
        }
    }

    /// <summary>
    /// float32 to bfloat16 with round-to-nearest-even (NaN stays a NaN), the conversion every bfloat16
    /// producer uses; for writing test data and synthetic problems.
    /// </summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
