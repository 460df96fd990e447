namespace GpuSelfLabel.Solvers;

/// <summary>Views into the contiguous memory of a tensor; a view owns nothing and frees nothing.</summary>
internal static class TensorViews
{
    /// <summary>
    /// Entry <paramref name="index"/> of the outermost axis (one head of an H×N×K tensor, one row of an
    /// H×K one), with the remaining dimensions.
    /// </summary>
    public static Tensor Slice(Tensor tensor, long index)
    {
        long[] shape = [.. tensor.Shape.Skip(1)];
        long elements = tensor.Length / tensor.Shape[0];
        long offset = tensor.ByteOffset + (index * elements * tensor.DType.SizeInBytes());
        return new Tensor(tensor.Backend, tensor.Buffer, tensor.DType, shape, offset, ownsBuffer: false);
    }

    /// <summary>Rows [<paramref name="firstRow"/>, +<paramref name="count"/>) of a rows×K matrix, as a count×K matrix.</summary>
    public static Tensor Rows(Tensor matrix, long firstRow, long count)
    {
        long cols = matrix.Columns;
        long offset = matrix.ByteOffset + (firstRow * cols * matrix.DType.SizeInBytes());
        return new Tensor(matrix.Backend, matrix.Buffer, matrix.DType, [count, cols], offset, ownsBuffer: false);
    }
}
