namespace GpuSelfLabel;

/// <summary>Element types a tensor may hold. Operations compute in float32 or wider.</summary>
public enum DType
{
    /// <summary>IEEE single precision: the type every operation reads and writes by default.</summary>
    Float32,
    /// <summary>IEEE half precision: storage only, for matrices too large for float32.</summary>
    Float16,
    /// <summary>bfloat16 (float32's exponent, 8-bit mantissa): storage only.</summary>
    BFloat16,
    /// <summary>32-bit signed integer (class indices).</summary>
    Int32,
    /// <summary>64-bit signed integer (class indices, labels written by <c>gsl</c>).</summary>
    Int64,
    /// <summary>IEEE double precision: solver state that float32 would drift in (the CPU backend's EM iterate).</summary>
    Float64,
}

/// <summary>Sizes of <see cref="DType"/> values.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes one element of <paramref name="dtype"/> occupies.</summary>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 => 2,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };
}
