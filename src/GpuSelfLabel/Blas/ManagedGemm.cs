using System.Buffers;
using System.Numerics.Tensors;

namespace GpuSelfLabel.Blas;

/// <summary>
/// The GEMM used when OpenBLAS is missing. Both operands are first brought into the layout where the
/// inner loop runs over contiguous memory: long contractions (k ≥ <see cref="DotMinimum"/>) as row·row
/// dot products, short ones as scaled row additions. Every entry of C is computed by one thread in a
/// fixed order, so the result does not depend on the number of cores.
/// </summary>
internal static class ManagedGemm
{
    /// <summary>Contraction length from which a SIMD dot product beats scaled row additions.</summary>
    private const int DotMinimum = 16;

    /// <summary>Rows of op(B)ᵀ visited together, so they stay in cache across a block of A's rows.</summary>
    private const int ColumnTile = 32;

    /// <summary>Multiply-adds a parallel block should hold before splitting pays off.</summary>
    private const long WorkPerBlock = 1 << 16;

    public static void Scale(Span<float> c, float beta)
    {
        if (beta == 0)
        {
            c.Clear();
        }
        else if (beta != 1)
        {
            TensorPrimitives.Multiply(c, beta, c);
        }
    }

    public static unsafe void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        float[]? aPacked = transposeA ? Transpose(a, k, m) : null;
        bool dotForm = k >= DotMinimum;

        // Dot form wants op(B)ᵀ (n×k rows), the row form wants op(B) (k×n rows).
        float[]? bPacked = dotForm != transposeB
            ? (transposeB ? Transpose(b, n, k) : Transpose(b, k, n))
            : null;
        try
        {
            fixed (float* pa0 = a, pb0 = b, pc = c, paPacked = aPacked, pbPacked = bPacked)
            {
                nint pa = (nint)(aPacked is null ? pa0 : paPacked);
                nint pb = (nint)(bPacked is null ? pb0 : pbPacked);
                nint pcc = (nint)pc;
                int rowsPerBlock = (int)Math.Clamp(WorkPerBlock / Math.Max(1L, (long)n * k), 1, m);
                int blocks = (m + rowsPerBlock - 1) / rowsPerBlock;
                Action<int> body = dotForm
                    ? block => DotRows(pa, pb, pcc, block * rowsPerBlock, Math.Min(m, (block + 1) * rowsPerBlock), n, k, alpha, beta)
                    : block => AxpyRows(pa, pb, pcc, block * rowsPerBlock, Math.Min(m, (block + 1) * rowsPerBlock), n, k, alpha, beta);
                if (blocks == 1)
                {
                    body(0);
                }
                else
                {
                    Parallel.For(0, blocks, body);
                }
            }
        }
        finally
        {
            if (aPacked is not null)
            {
                ArrayPool<float>.Shared.Return(aPacked);
            }

            if (bPacked is not null)
            {
                ArrayPool<float>.Shared.Return(bPacked);
            }
        }
    }

    private static unsafe void DotRows(nint a, nint bt, nint c, int first, int end, int n, int k, float alpha, float beta)
    {
        var pa = (float*)a;
        var pb = (float*)bt;
        var pc = (float*)c;
        for (int j0 = 0; j0 < n; j0 += ColumnTile)
        {
            int j1 = Math.Min(n, j0 + ColumnTile);
            for (int i = first; i < end; i++)
            {
                var row = new ReadOnlySpan<float>(pa + ((long)i * k), k);
                float* ci = pc + ((long)i * n);
                for (int j = j0; j < j1; j++)
                {
                    float dot = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(pb + ((long)j * k), k));
                    ci[j] = beta == 0 ? alpha * dot : (alpha * dot) + (beta * ci[j]);
                }
            }
        }
    }

    private static unsafe void AxpyRows(nint a, nint bk, nint c, int first, int end, int n, int k, float alpha, float beta)
    {
        var pa = (float*)a;
        var pb = (float*)bk;
        var pc = (float*)c;
        var sum = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var acc = sum.AsSpan(0, n);
            for (int i = first; i < end; i++)
            {
                acc.Clear();
                float* ai = pa + ((long)i * k);
                for (int p = 0; p < k; p++)
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(pb + ((long)p * n), n), ai[p], acc, acc);
                }

                var ci = new Span<float>(pc + ((long)i * n), n);
                if (beta == 0)
                {
                    TensorPrimitives.Multiply(acc, alpha, ci);
                }
                else
                {
                    TensorPrimitives.Multiply(ci, beta, ci);
                    TensorPrimitives.MultiplyAdd(acc, alpha, ci, ci);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sum);
        }
    }

    /// <summary>The transpose of a rows×columns matrix, in a pooled array the caller returns.</summary>
    private static float[] Transpose(ReadOnlySpan<float> source, int rows, int columns)
    {
        var result = ArrayPool<float>.Shared.Rent(checked(rows * columns));
        const int Tile = 32;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < columns; c0 += Tile)
            {
                int c1 = Math.Min(columns, c0 + Tile);
                for (int r = r0; r < r1; r++)
                {
                    for (int col = c0; col < c1; col++)
                    {
                        result[(col * rows) + r] = source[(r * columns) + col];
                    }
                }
            }
        }

        return result;
    }
}
