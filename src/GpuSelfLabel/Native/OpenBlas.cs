using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GpuSelfLabel.Native;

/// <summary>
/// CBLAS single-precision GEMM from OpenBLAS (or any CBLAS: Debian's libblas.so.3 exports it too).
/// The import names a logical library that only <see cref="Resolve"/> maps to a file. The resolver
/// hangs on the load context's ResolvingUnmanagedDll event rather than on
/// NativeLibrary.SetDllImportResolver, because an assembly has room for one DllImport resolver and
/// the GPU backends' loader owns it; the event runs after that resolver and default probing give up.
/// </summary>
internal static unsafe partial class OpenBlas
{
    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    private const string Lib = "gsl-openblas";

    /// <summary>File names tried in order; GSL_BLAS_LIBRARY, when set, is tried first.</summary>
    private static readonly string[] Names = ["libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"];

    private static readonly Lazy<(nint Handle, string Name, string Failure)> Loaded = new(Load);

    /// <summary>Whether a CBLAS library with cblas_sgemm is loadable here.</summary>
    public static bool IsAvailable => Loaded.Value.Handle != 0;

    /// <summary>The file that was loaded, or empty.</summary>
    public static string LibraryName => Loaded.Value.Name;

    /// <summary>Why none was loaded, or empty.</summary>
    public static string Failure => Loaded.Value.Failure;

    /// <summary>C = α·op(A)·op(B) + β·C, CBLAS conventions (32-bit integers: the LP64 interface).</summary>
    [LibraryImport(Lib)]
    internal static partial void cblas_sgemm(
        int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    private static (nint, string, string) Load()
    {
        var candidates = new List<string>();
        string? overridePath = Environment.GetEnvironmentVariable("GSL_BLAS_LIBRARY");
        if (!string.IsNullOrEmpty(overridePath))
        {
            candidates.Add(overridePath);
        }

        candidates.AddRange(OperatingSystem.IsWindows() ? ["libopenblas.dll", "openblas.dll"] : Names);
        foreach (var name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                // A BLAS without the C interface (some libblas.so.3 builds) is no use to us.
                if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
                {
                    var context = AssemblyLoadContext.GetLoadContext(typeof(OpenBlas).Assembly) ?? AssemblyLoadContext.Default;
                    context.ResolvingUnmanagedDll += Resolve;
                    return (handle, name, string.Empty);
                }

                NativeLibrary.Free(handle);
            }
        }

        return (0, string.Empty, $"none of {string.Join(", ", candidates)} with cblas_sgemm found");
    }

    private static nint Resolve(Assembly assembly, string libraryName) =>
        libraryName == Lib && assembly == typeof(OpenBlas).Assembly ? Loaded.Value.Handle : 0;
}
