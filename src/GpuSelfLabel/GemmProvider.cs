namespace GpuSelfLabel;

/// <summary>Which matrix-multiply implementation <see cref="Gemm"/> uses.</summary>
public enum GemmProvider
{
    /// <summary>OpenBLAS when it is installed and the product is large enough to gain from it, else managed.</summary>
    Auto,
    /// <summary>OpenBLAS (or another CBLAS) through P/Invoke; an error when none is installed.</summary>
    OpenBlas,
    /// <summary>Plain C#: TensorPrimitives inside a row, Parallel.For across row blocks.</summary>
    Managed,
}
