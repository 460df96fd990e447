using GpuSelfLabel.Blas;
using GpuSelfLabel.Native;

namespace GpuSelfLabel;

/// <summary>
/// Dense single-precision matrix multiply on host memory, C = α·op(A)·op(B) + β·C, row-major with
/// packed rows (the leading dimension of each matrix is its column count). OpenBLAS does the work
/// when it is installed (Debian: libopenblas0-pthread); otherwise a managed implementation does,
/// slower but with the same results to float32 rounding.
/// </summary>
public static class Gemm
{
    /// <summary>Below this many multiply-adds a native call gains nothing over the managed loop.</summary>
    internal const long NativeThreshold = 1 << 15;

    /// <summary>Whether OpenBLAS (or another CBLAS) is loadable here.</summary>
    public static bool IsOpenBlasAvailable => OpenBlas.IsAvailable;

    /// <summary>
    /// What <paramref name="provider"/> resolves to here, in words: "OpenBLAS (libopenblas.so.0)" or
    /// "managed (TensorPrimitives + Parallel)", with the reason when OpenBLAS was wanted but missing.
    /// </summary>
    public static string Describe(GemmProvider provider = GemmProvider.Auto) => provider switch
    {
        GemmProvider.Managed => "managed (TensorPrimitives + Parallel)",
        _ when OpenBlas.IsAvailable => $"OpenBLAS ({OpenBlas.LibraryName})",
        GemmProvider.OpenBlas => $"OpenBLAS unavailable: {OpenBlas.Failure}",
        _ => $"managed (TensorPrimitives + Parallel; OpenBLAS unavailable: {OpenBlas.Failure})",
    };

    /// <summary>
    /// C (m×n) = α·op(A)·op(B) + β·C with op(A) m×k and op(B) k×n. A is stored m×k, or k×m when
    /// <paramref name="transposeA"/>; B is stored k×n, or n×k when <paramref name="transposeB"/>.
    /// With β = 0 the old contents of C are ignored (NaN in C does not propagate).
    /// </summary>
    /// <exception cref="GslArgumentException">A span is too short for its shape, a size is negative, or OpenBLAS was required but is missing.</exception>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c,
        GemmProvider provider = GemmProvider.Auto)
    {
        CheckSize(m, nameof(m));
        CheckSize(n, nameof(n));
        CheckSize(k, nameof(k));
        CheckLength(a.Length, (long)m * k, nameof(a));
        CheckLength(b.Length, (long)k * n, nameof(b));
        CheckLength(c.Length, (long)m * n, nameof(c));
        if (m == 0 || n == 0)
        {
            return;
        }

        if (provider == GemmProvider.OpenBlas && !OpenBlas.IsAvailable)
        {
            throw new GslArgumentException("blas", $"OpenBLAS was asked for but is not installed ({OpenBlas.Failure}); install libopenblas0-pthread or use the managed path");
        }

        bool native = provider switch
        {
            GemmProvider.OpenBlas => true,
            GemmProvider.Managed => false,
            _ => OpenBlas.IsAvailable && (long)m * n * k >= NativeThreshold,
        };
        if (k == 0)
        {
            ManagedGemm.Scale(c[..(m * n)], beta);
        }
        else if (native)
        {
            NativeMultiply(transposeA, transposeB, m, n, k, alpha, a, b, beta, c);
        }
        else
        {
            ManagedGemm.Multiply(transposeA, transposeB, m, n, k, alpha, a, b, beta, c);
        }
    }

    private static unsafe void NativeMultiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            OpenBlas.cblas_sgemm(
                OpenBlas.RowMajor,
                transposeA ? OpenBlas.Trans : OpenBlas.NoTrans,
                transposeB ? OpenBlas.Trans : OpenBlas.NoTrans,
                m, n, k, alpha,
                pa, transposeA ? m : k,
                pb, transposeB ? k : n,
                beta, pc, n);
        }
    }

    private static void CheckSize(int value, string argument)
    {
        if (value < 0)
        {
            throw new GslArgumentException(argument, $"must be ≥ 0, got {value}");
        }
    }

    private static void CheckLength(int length, long needed, string argument)
    {
        if (length < needed)
        {
            throw new GslArgumentException(argument, $"holds {length} values but the shape needs {needed}");
        }
    }
}
