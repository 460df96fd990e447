using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// Rows of a matrix held in a storage type (float32, float16 or bfloat16) as float32 spans: a float32
/// row is returned in place, the others are converted into the caller's scratch row. Every pass that
/// accepts a storage type reads its rows through <see cref="Load"/>, so there is one code path.
/// </summary>
internal static class StorageRows
{
    /// <summary>Row <paramref name="row"/> of <paramref name="matrix"/> as float32 (in place or in <paramref name="scratch"/>).</summary>
    public static unsafe ReadOnlySpan<float> Load(Tensor matrix, long row, Span<float> scratch)
    {
        int cols = checked((int)matrix.Columns);
        nint start = matrix.Buffer.Handle + (nint)matrix.ByteOffset;
        long first = row * cols;
        switch (matrix.DType)
        {
            case DType.Float32:
                return new ReadOnlySpan<float>((float*)start + first, cols);
            case DType.Float16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)start + first, cols), scratch[..cols]);
                return scratch[..cols];
            case DType.BFloat16:
                StorageConversion.BFloat16ToSingle(new ReadOnlySpan<ushort>((ushort*)start + first, cols), scratch[..cols]);
                return scratch[..cols];
            default:
                throw new InvalidOperationException($"a {matrix.DType} matrix is not a score matrix (float32, float16 or bfloat16)");
        }
    }
}
