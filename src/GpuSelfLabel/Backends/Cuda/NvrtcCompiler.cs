using System.Text;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Native;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Compiles kernels/*.cu to PTX with NVRTC, for one virtual architecture (compute_XY). The CUDA
/// backend loads the PTX and the driver finishes it for the exact GPU; CI calls the same path for
/// compute_90 without any GPU or driver, so CUDA-only code is at least compiled everywhere.
/// </summary>
internal static class NvrtcCompiler
{
    private static readonly Lazy<(int Major, int Minor)> LazyVersion = new(ReadVersion);
    private static readonly Lazy<IReadOnlyList<int>> LazyArchitectures = new(ReadArchitectures);

    /// <summary>NVRTC's version, which also keys the PTX cache.</summary>
    public static (int Major, int Minor) Version => LazyVersion.Value;

    /// <summary>The compute_XY values this NVRTC can target, ascending (XY = 10·major + minor).</summary>
    public static IReadOnlyList<int> SupportedArchitectures => LazyArchitectures.Value;

    /// <summary>Whether libnvrtc loads here; otherwise why not ("no library: …").</summary>
    public static bool TryLoad(out string reason)
    {
        if (NativeLibraries.TryLoad(NativeLibraryKind.Nvrtc, out _, out var missing))
        {
            reason = string.Empty;
            return true;
        }

        reason = $"no library: {missing} (NVRTC compiles the kernels; install the CUDA toolkit's NVRTC, e.g. Debian's libnvrtc11.2, or set GSL_NVRTC_LIBRARY)";
        return false;
    }

    /// <summary>
    /// The target for a device of compute capability <paramref name="device"/>: itself when NVRTC
    /// knows it, else the newest older architecture NVRTC knows (PTX runs on newer GPUs, the driver
    /// compiles it forward).
    /// </summary>
    public static int ChooseArchitecture(int device)
    {
        var known = SupportedArchitectures;
        int best = known.Where(a => a <= device).DefaultIfEmpty(-1).Max();
        if (best < 0)
        {
            throw new GslDeviceException($"nvrtc {Version.Major}.{Version.Minor} cannot target compute capability {device / 10}.{device % 10} (it knows {string.Join(", ", known)})");
        }

        return best;
    }

    /// <summary>
    /// Refuses an NVRTC newer than the driver. NVRTC writes the PTX language version of its own
    /// release and a driver loads only PTX of its release or older (CUDA_ERROR_UNSUPPORTED_PTX_VERSION
    /// at the first module load otherwise), so the mismatch is named here, before any kernel is
    /// compiled, with the way out. <paramref name="driver"/> is cuDriverGetVersion's 1000·major + 10·minor.
    /// </summary>
    public static void RequireLoadableByDriver(int driver, (int Major, int Minor) nvrtc)
    {
        if ((nvrtc.Major * 1000) + (nvrtc.Minor * 10) > driver)
        {
            string release = $"{driver / 1000}.{driver % 1000 / 10}";
            throw new GslDeviceException(
                $"NVRTC {nvrtc.Major}.{nvrtc.Minor} writes PTX that the CUDA {release} driver cannot load; " +
                $"set GSL_NVRTC_LIBRARY to an NVRTC no newer than {release} (the one beside the driver's toolkit or PyTorch's), or update the driver");
        }
    }

    /// <summary>Every option a kernel file is compiled with for <paramref name="architecture"/>.</summary>
    public static IReadOnlyList<string> Options(int architecture) =>
        [$"--gpu-architecture=compute_{architecture}", .. KernelSources.Defines.Select(d => "-D" + d)];

    /// <summary>
    /// PTX (NUL-terminated, as cuModuleLoadData wants it) of kernels/<paramref name="file"/>. With
    /// <paramref name="useCache"/>, a previous compile of the same source, options, architecture and
    /// NVRTC version is reused from <see cref="PtxCache"/>.
    /// </summary>
    public static byte[] Ptx(string file, int architecture, bool useCache = true)
    {
        string source = KernelSources.Load(file);
        var options = Options(architecture);
        string key = PtxCache.Key(source, options, architecture, Version);
        if (useCache && PtxCache.TryRead(key) is { } cached)
        {
            return cached;
        }

        var ptx = Compile(source, file, options);
        if (useCache)
        {
            PtxCache.Write(key, ptx);
        }

        return ptx;
    }

    /// <summary>Compiles one translation unit; a failure throws with NVRTC's log.</summary>
    public static unsafe byte[] Compile(string source, string name, IReadOnlyList<string> options)
    {
        using var program = NvrtcProgramHandle.Create(Encoding.UTF8.GetBytes(source + "\0"), Encoding.UTF8.GetBytes(name + "\0"));
        nint handle = program.DangerousGetHandle();
        var optionBytes = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
        var pins = optionBytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        int status;
        try
        {
            byte** pointers = stackalloc byte*[optionBytes.Length];
            for (int i = 0; i < pins.Length; i++)
            {
                pointers[i] = (byte*)pins[i].AddrOfPinnedObject();
            }

            status = Nvrtc.nvrtcCompileProgram(handle, optionBytes.Length, pointers);
        }
        finally
        {
            foreach (var pin in pins)
            {
                pin.Free();
            }
        }

        if (status != Nvrtc.Success)
        {
            throw Nvrtc.Failure(status, "nvrtcCompileProgram", $"compiling kernels/{name} with {string.Join(' ', options)}", Log(handle));
        }

        nuint size;
        Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(handle, &size), "nvrtcGetPTXSize");
        var ptx = new byte[(int)size];
        fixed (byte* p = ptx)
        {
            Nvrtc.Check(Nvrtc.nvrtcGetPTX(handle, p), "nvrtcGetPTX");
        }

        return ptx;
    }

    /// <summary>The compile log (warnings too), empty when NVRTC had nothing to say.</summary>
    private static unsafe string Log(nint program)
    {
        nuint size;
        if (Nvrtc.nvrtcGetProgramLogSize(program, &size) != Nvrtc.Success || size <= 1)
        {
            return string.Empty;
        }

        var log = new byte[(int)size];
        fixed (byte* p = log)
        {
            if (Nvrtc.nvrtcGetProgramLog(program, p) != Nvrtc.Success)
            {
                return string.Empty;
            }
        }

        return Encoding.UTF8.GetString(log).TrimEnd('\0');
    }

    private static unsafe (int, int) ReadVersion()
    {
        int major;
        int minor;
        Nvrtc.Check(Nvrtc.nvrtcVersion(&major, &minor), "nvrtcVersion");
        return (major, minor);
    }

    private static unsafe int[] ReadArchitectures()
    {
        int count;
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* p = archs)
        {
            Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(p), "nvrtcGetSupportedArchs");
        }

        Array.Sort(archs);
        return archs;
    }
}
