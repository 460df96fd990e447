using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GpuSelfLabel.TorchSharp.Loading;
using TorchSharp;

namespace GpuSelfLabel.TorchSharp;

/// <summary>
/// Makes TorchSharp's native library load where the C++ runtime predates GCC 13 (Debian 12, Ubuntu
/// 22.04). TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> for a single
/// symbol that nothing calls; there every <c>torch</c> call fails inside TorchSharp's type initialiser.
/// <para>
/// <see cref="EnsureLoaded"/> tries the library as shipped. When the loader names a missing GLIBCXX
/// version, it writes a copy with that requirement marked weak to a cache folder (keyed by the
/// library's hash), loads LibTorch's own libraries and then that copy, so TorchSharp's later lookup
/// of "LibTorchSharp" finds it already in the process. Anything else that stops the load becomes a
/// <see cref="TorchSharpLoadException"/> with one line naming the cause and the fix.
/// </para>
/// <para>
/// It also sets OMP_WAIT_POLICY=PASSIVE in the process environment unless the user set it: LibTorch's
/// OpenMP threads would otherwise busy-wait after each of its ops and take the cores this library's
/// CPU kernels run on. And THP_MEM_ALLOC_ENABLE=1, so that LibTorch's allocator asks for transparent
/// huge pages for large tensors, whose 4 KiB first-touch faults otherwise cost more than the fused
/// pass that fills them.
/// </para>
/// <para>
/// It runs by itself before the first call into this assembly. A program whose first TorchSharp call
/// comes before any call into GpuSelfLabel.TorchSharp calls <see cref="EnsureLoaded"/> first.
/// </para>
/// </summary>
public static partial class TorchSharpLoader
{
    private const string GlueLibrary = "libLibTorchSharp.so";

    /// <summary>LibTorch's libraries the glue links against, in dependency order.</summary>
    private static readonly string[] LibTorchLibraries = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    private static readonly Lock Gate = new();
    private static string? outcome;
    private static TorchSharpLoadException? failure;

    /// <summary>
    /// What the last <see cref="EnsureLoaded"/> did: "as shipped", "patched copy at PATH", "not
    /// needed on this platform", or null before the first call.
    /// </summary>
    public static string? Outcome => outcome;

    /// <summary>
    /// Loads TorchSharp's native library (patching a copy where the C++ runtime is too old) and checks
    /// that TorchSharp initialises. Safe to call many times; the work happens once.
    /// </summary>
    /// <exception cref="TorchSharpLoadException">TorchSharp cannot run here; the message names cause and fix.</exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (failure is not null)
            {
                throw failure;
            }

            if (outcome is not null)
            {
                return;
            }

            try
            {
                // Before LibTorch loads, or its OpenMP reads the environment without it: OpenMP's
                // worker threads otherwise spin between parallel regions and starve this library's CPU
                // kernels when they run between LibTorch's ops (3-4x slower training steps on 2 cores).
                // A value the user set is kept.
                NativeEnvironment.SetDefault("OMP_WAIT_POLICY", "PASSIVE");

                // LibTorch's CPU allocator gives allocations of 2 MiB and more transparent huge pages
                // only when asked. Without them the first touch of every 4 KiB page of a fresh tensor
                // faults: autograd's copy of a 786 MB gradient into a leaf's empty .grad took 2.3 s
                // instead of 0.5 s at 65536x3000 on these machines (bench/results/torchsharp-cpu.md).
                // THP_MEM_ALLOC_ENABLE=0 from the user keeps LibTorch's default.
                NativeEnvironment.SetDefault("THP_MEM_ALLOC_ENABLE", "1");
                outcome = OperatingSystem.IsLinux() ? LoadOnLinux() : "not needed on this platform";
                CheckTorchInitialises();
            }
            catch (TorchSharpLoadException e)
            {
                failure = e;
                outcome = null;
                throw;
            }
        }
    }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "TorchSharp's native library must be loaded before its type initialiser first runs, which can be inside any call into this assembly.")]
    internal static void LoadBeforeFirstUse()
    {
        try
        {
            EnsureLoaded();
        }
        catch (TorchSharpLoadException)
        {
            // Reported again, with the same one line, by the first public call that needs TorchSharp.
        }
    }

    private static string LoadOnLinux()
    {
        var glue = FindNative(GlueLibrary);
        if (glue is null)
        {
            // Not in any folder we know: TorchSharp's own probing is all there is.
            return "left to TorchSharp (no " + GlueLibrary + " beside the application)";
        }

        string? error = TryLoad(glue);
        if (error is null)
        {
            return "as shipped";
        }

        var patched = glue;
        var image = File.ReadAllBytes(glue);
        var marked = new HashSet<string>(StringComparer.Ordinal);

        // Each missing version the loader names is marked weak in turn (0.107 needs only one).
        while (error is not null)
        {
            var version = MissingVersion().Match(error);
            if (!version.Success || !marked.Add(version.Groups[1].Value) || !ElfVersionNeeds.MarkWeak(image, version.Groups[1].Value))
            {
                throw new TorchSharpLoadException(
                    $"TorchSharp's native library {glue} does not load: {FirstLine(error)}. Fix: install the C++ runtime and libraries it names (see the GpuSelfLabel README, 'TorchSharp on Debian 12').");
            }

            PreloadLibTorch(glue);
            patched = WritePatchedCopy(image);
            error = TryLoad(patched);
        }

        return "patched copy at " + patched;
    }

    /// <summary>TorchSharp's type initialiser is where a bad native library shows; turn it into one line.</summary>
    private static void CheckTorchInitialises()
    {
        try
        {
            _ = torch.get_num_threads();
        }
        catch (TypeInitializationException e)
        {
            var root = e.GetBaseException();
            throw new TorchSharpLoadException(
                $"TorchSharp did not initialise: {FirstLine(root.Message)}. Fix: reference a LibTorch package (TorchSharp-cpu) and, on Debian 12 or Ubuntu 22.04, call TorchSharpLoader.EnsureLoaded() before the first torch call.",
                e);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchSharpLoadException(
                $"TorchSharp's native library was not found: {FirstLine(e.Message)}. Fix: reference a LibTorch package (TorchSharp-cpu).", e);
        }
    }

    private static void PreloadLibTorch(string glue)
    {
        foreach (var name in LibTorchLibraries)
        {
            var path = FindNative(name, Path.GetDirectoryName(glue));
            if (path is null)
            {
                throw new TorchSharpLoadException($"LibTorch's {name} was not found beside {glue}. Fix: reference a LibTorch package (TorchSharp-cpu) in the application.");
            }

            string? error = TryLoad(path);
            if (error is not null)
            {
                throw new TorchSharpLoadException($"LibTorch's {path} does not load: {FirstLine(error)}.");
            }
        }
    }

    /// <summary>Writes the patched image once per distinct original, atomically, and returns its path.</summary>
    private static string WritePatchedCopy(byte[] image)
    {
        var key = Convert.ToHexString(SHA256.HashData(image))[..16].ToLowerInvariant();
        var folder = Path.Combine(CacheRoot(), "torchsharp-" + key);
        var path = Path.Combine(folder, GlueLibrary);
        if (File.Exists(path) && new FileInfo(path).Length == image.Length)
        {
            return path;
        }

        try
        {
            Directory.CreateDirectory(folder);
            var temporary = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchSharpLoadException($"Cannot write the patched TorchSharp library to {folder}: {e.Message}. Fix: set GSL_CACHE_DIR to a writable folder.", e);
        }
    }

    private static string CacheRoot()
    {
        var configured = Environment.GetEnvironmentVariable("GSL_CACHE_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "gpuselflabel")
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache", "gpuselflabel")
            : Path.Combine(Path.GetTempPath(), "gpuselflabel");
    }

    /// <summary>
    /// The folders TorchSharp itself loads from: the application's, TorchSharp.dll's, their
    /// runtimes/RID/native subfolders and the cpu/ folder TorchSharp's build step fills.
    /// </summary>
    private static string? FindNative(string name, string? preferred = null)
    {
        var rid = RuntimeInformation.RuntimeIdentifier;
        var architecture = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var roots = new[] { preferred, AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) };
        foreach (var root in roots)
        {
            if (string.IsNullOrEmpty(root))
            {
                continue;
            }

            foreach (var sub in new[] { ".", Path.Combine("runtimes", rid, "native"), Path.Combine("runtimes", architecture, "native"), "cpu" })
            {
                var candidate = Path.GetFullPath(Path.Combine(root, sub, name));
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Loads a library into the process; null on success, else the loader's message.</summary>
    private static string? TryLoad(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
        catch (BadImageFormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>The loader's line that names the cause (the .NET message puts advice first).</summary>
    private static string FirstLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.Contains("not found", StringComparison.Ordinal) || l.Contains("cannot open", StringComparison.Ordinal))
            ?? lines.FirstOrDefault() ?? message;
    }

    [GeneratedRegex(@"version `(GLIBCXX_[0-9.]+)' not found")]
    private static partial Regex MissingVersion();
}
