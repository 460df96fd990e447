using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>The native libraries the GPU backends call.</summary>
internal enum NativeLibraryKind
{
    /// <summary>The OpenCL ICD loader (libOpenCL.so.1).</summary>
    OpenCl,
    /// <summary>The CUDA driver API (libcuda.so.1, installed with the NVIDIA driver).</summary>
    Cuda,
    /// <summary>The CUDA run-time compiler (libnvrtc, part of the CUDA toolkit).</summary>
    Nvrtc,
}

/// <summary>
/// Finds the native libraries. The [LibraryImport] declarations name logical libraries
/// ("gsl-opencl" …) that only this resolver maps to files, so that a version-suffixed name
/// (libnvrtc.so.12) or a toolkit directory off the loader path is found, and a missing library is
/// reported in words before any P/Invoke is attempted.
/// </summary>
internal static class NativeLibraries
{
    public const string OpenClName = "gsl-opencl";
    public const string CudaName = "gsl-cuda";
    public const string NvrtcName = "gsl-nvrtc";

    private static readonly Lazy<LoadResult>[] Results =
    [
        new(() => Load(NativeLibraryKind.OpenCl)),
        new(() => Load(NativeLibraryKind.Cuda)),
        new(() => Load(NativeLibraryKind.Nvrtc)),
    ];

    private static int resolverInstalled;

    /// <summary>Installs the resolver; every P/Invoke class calls this from its static constructor.</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref resolverInstalled, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    /// <summary>
    /// Loads <paramref name="kind"/> once. On failure <paramref name="reason"/> says which file names
    /// were tried, e.g. "libcuda.so.1 not found".
    /// </summary>
    public static bool TryLoad(NativeLibraryKind kind, out string loadedName, out string reason)
    {
        EnsureResolver();
        var result = Results[(int)kind].Value;
        loadedName = result.Name ?? string.Empty;
        reason = result.Failure ?? string.Empty;
        return result.Handle != 0;
    }

    /// <summary>The file names tried for <paramref name="kind"/>, in order.</summary>
    public static IReadOnlyList<string> Candidates(NativeLibraryKind kind)
    {
        var names = new List<string>();
        string? overridePath = Environment.GetEnvironmentVariable(kind switch
        {
            NativeLibraryKind.OpenCl => "GSL_OPENCL_LIBRARY",
            NativeLibraryKind.Cuda => "GSL_CUDA_LIBRARY",
            _ => "GSL_NVRTC_LIBRARY",
        });
        if (!string.IsNullOrEmpty(overridePath))
        {
            names.Add(overridePath);
        }

        if (OperatingSystem.IsWindows())
        {
            names.AddRange(kind switch
            {
                NativeLibraryKind.OpenCl => ["OpenCL.dll"],
                NativeLibraryKind.Cuda => ["nvcuda.dll"],
                _ => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
            });
            return names;
        }

        switch (kind)
        {
            case NativeLibraryKind.OpenCl:
                names.AddRange(["libOpenCL.so.1", "libOpenCL.so"]);
                break;
            case NativeLibraryKind.Cuda:
                names.Add("libcuda.so.1");
                break;
            default:
                string[] files = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];
                names.AddRange(files);

                // The toolkit often lives off the loader path; its lib64 directory is the next guess.
                foreach (var root in ToolkitRoots())
                {
                    names.AddRange(files.Select(f => Path.Combine(root, "lib64", f)));
                }

                break;
        }

        return names;
    }

    private static IEnumerable<string> ToolkitRoots()
    {
        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            string? root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(root))
            {
                yield return root;
            }
        }

        yield return "/usr/local/cuda";
    }

    private static LoadResult Load(NativeLibraryKind kind)
    {
        var candidates = Candidates(kind);
        foreach (var name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return new LoadResult(handle, name, null);
            }
        }

        // Directory guesses only clutter the message; the plain names say what to install.
        var shown = candidates.Where(c => !c.Contains('/', StringComparison.Ordinal) || c == candidates[0]).Distinct().ToList();
        string failure = shown.Count == 1 ? $"{shown[0]} not found" : $"none of {string.Join(", ", shown)} found";
        return new LoadResult(0, null, failure);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        NativeLibraryKind? kind = libraryName switch
        {
            OpenClName => NativeLibraryKind.OpenCl,
            CudaName => NativeLibraryKind.Cuda,
            NvrtcName => NativeLibraryKind.Nvrtc,
            _ => null,
        };
        return kind is { } k ? Results[(int)k].Value.Handle : 0;
    }

    private sealed record LoadResult(nint Handle, string? Name, string? Failure);
}
