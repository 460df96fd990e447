using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>
/// The four cuBLAS entry points the features-to-scores product needs on the CUDA backend, bound at
/// run time through function pointers (libcublas is optional: without it the product runs on the
/// host). cuBLAS works in the current context, which the CUDA backend makes its device's primary
/// context, the one the runtime API underneath cuBLAS uses too.
/// </summary>
internal static unsafe class CuBlas
{
    /// <summary>CUBLAS_OP_N: the operand as stored (column-major).</summary>
    public const int NoTranspose = 0;

    private static readonly Lazy<Api> Loaded = new(Load);

    /// <summary>Whether libcublas was found and exports what is needed.</summary>
    public static bool IsAvailable => Loaded.Value.Handle != 0;

    /// <summary>The file that was loaded, or why none was: "no library: none of … found".</summary>
    public static string Describe => IsAvailable ? Loaded.Value.Name : $"no library: {Loaded.Value.Failure}";

    public static nint Create()
    {
        nint handle;
        Check(Loaded.Value.Create(&handle), "cublasCreate");
        return handle;
    }

    public static void Destroy(nint handle) => Check(Loaded.Value.Destroy(handle), "cublasDestroy");

    public static void SetStream(nint handle, nint stream) => Check(Loaded.Value.SetStream(handle, stream), "cublasSetStream");

    /// <summary>C = α·A·B + β·C in column-major storage (cublasSgemm_v2 with both operands untransposed).</summary>
    public static void Sgemm(nint handle, int m, int n, int k, float alpha, nint a, int lda, nint b, int ldb, float beta, nint c, int ldc) =>
        Check(Loaded.Value.Sgemm(handle, NoTranspose, NoTranspose, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc), "cublasSgemm");

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new GslDeviceException($"{call} failed with cuBLAS status {status}");
        }
    }

    private static Api Load()
    {
        var names = new List<string>();
        string? overridePath = Environment.GetEnvironmentVariable("GSL_CUBLAS_LIBRARY");
        if (!string.IsNullOrEmpty(overridePath))
        {
            names.Add(overridePath);
        }

        string[] files = OperatingSystem.IsWindows()
            ? ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"]
            : ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];
        names.AddRange(files);
        foreach (var root in new[] { Environment.GetEnvironmentVariable("CUDA_HOME"), Environment.GetEnvironmentVariable("CUDA_PATH"), "/usr/local/cuda" })
        {
            if (!string.IsNullOrEmpty(root) && !OperatingSystem.IsWindows())
            {
                names.AddRange(files.Select(f => Path.Combine(root, "lib64", f)));
            }
        }

        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle))
            {
                continue;
            }

            if (NativeLibrary.TryGetExport(handle, "cublasCreate_v2", out var create)
                && NativeLibrary.TryGetExport(handle, "cublasDestroy_v2", out var destroy)
                && NativeLibrary.TryGetExport(handle, "cublasSetStream_v2", out var setStream)
                && NativeLibrary.TryGetExport(handle, "cublasSgemm_v2", out var sgemm))
            {
                return new Api(
                    handle, name, string.Empty,
                    (delegate* unmanaged<nint*, int>)create,
                    (delegate* unmanaged<nint, int>)destroy,
                    (delegate* unmanaged<nint, nint, int>)setStream,
                    (delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, nint, int, float*, nint, int, int>)sgemm);
            }

            NativeLibrary.Free(handle);
        }

        return new Api(0, string.Empty, $"none of {string.Join(", ", files)} found", null, null, null, null);
    }

    private sealed class Api(
        nint handle,
        string name,
        string failure,
        delegate* unmanaged<nint*, int> create,
        delegate* unmanaged<nint, int> destroy,
        delegate* unmanaged<nint, nint, int> setStream,
        delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, nint, int, float*, nint, int, int> sgemm)
    {
        public nint Handle => handle;

        public string Name => name;

        public string Failure => failure;

        public delegate* unmanaged<nint*, int> Create => create;

        public delegate* unmanaged<nint, int> Destroy => destroy;

        public delegate* unmanaged<nint, nint, int> SetStream => setStream;

        public delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, nint, int, float*, nint, int, int> Sgemm => sgemm;
    }
}
