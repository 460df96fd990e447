using System.Text;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Native;
using CudaApi = GpuSelfLabel.Native.Cuda;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Runs the kernels of kernels/ on an NVIDIA GPU through the CUDA driver API, compiled at first use
/// by NVRTC for the device's own architecture. It works in the device's primary context, the one
/// the CUDA runtime and libtorch use, so device pointers from them can be wrapped with
/// <see cref="Backend.Wrap"/>; every operation is issued on <see cref="Stream"/>.
/// </summary>
public sealed class CudaBackend : Backend
{
    private readonly CudaPrimaryContextHandle context;
    private readonly CudaModules modules;
    private readonly CudaKernels kernels;
    private readonly string deviceName;

    private unsafe CudaBackend(int ordinal, LaunchOverrides overrides, CudaKernelSource source)
    {
        int device;
        CudaApi.Check(CudaApi.cuDeviceGet(&device, ordinal), "cuDeviceGet");
        DeviceOrdinal = device;
        var nameBytes = new byte[256];
        fixed (byte* n = nameBytes)
        {
            CudaApi.Check(CudaApi.cuDeviceGetName(n, nameBytes.Length, device), "cuDeviceGetName");
        }

        nuint memory;
        CudaApi.Check(CudaApi.cuDeviceTotalMem_v2(&memory, device), "cuDeviceTotalMem");
        TotalMemoryBytes = (long)memory;
        int major = Attribute(device, CudaApi.AttributeComputeCapabilityMajor);
        int minor = Attribute(device, CudaApi.AttributeComputeCapabilityMinor);
        ComputeCapability = (major * 10) + minor;
        int multiprocessors = Attribute(device, CudaApi.AttributeMultiprocessorCount);
        int driver;
        CudaApi.Check(CudaApi.cuDriverGetVersion(&driver), "cuDriverGetVersion");

        if (source == CudaKernelSource.Ilgpu && ComputeCapability < IlgpuPtx.MinimumComputeCapability)
        {
            throw new GslDeviceException($"GSL_CUDA_KERNELS=ilgpu: ILGPU's PTX targets sm_{IlgpuPtx.MinimumComputeCapability}, and this GPU is compute capability {major}.{minor}; use nvrtc");
        }

        NvrtcCompiler.RequireLoadableByDriver(driver, NvrtcCompiler.Version);
        context = CudaPrimaryContextHandle.Retain(device);
        context.MakeCurrent();
        int architecture = NvrtcCompiler.ChooseArchitecture(ComputeCapability);
        modules = new CudaModules(context, architecture, source);
        kernels = new CudaKernels(this, overrides);
        var (nvrtcMajor, nvrtcMinor) = NvrtcCompiler.Version;
        deviceName = $"{Encoding.UTF8.GetString(nameBytes).TrimEnd('\0')} (device {ordinal}, compute capability {major}.{minor}, " +
            $"{multiprocessors} SMs, {TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, driver {driver / 1000}.{driver % 1000 / 10}, " +
            $"NVRTC {nvrtcMajor}.{nvrtcMinor} → compute_{architecture}" +
            (source == CudaKernelSource.Ilgpu ? "; kernels: ILGPU's PTX where written in C#, NVRTC for the rest)" : ")");
    }

    /// <summary>Where this backend's kernels come from (GSL_CUDA_KERNELS for the registry's backend).</summary>
    public CudaKernelSource KernelSource => modules.Source;

    /// <inheritdoc/>
    public override string Name => "cuda";

    /// <summary>Device name, compute capability, SMs, memory, driver and NVRTC versions.</summary>
    public override string DeviceName => deviceName;

    /// <summary>The CUdevice ordinal (GSL_CUDA_DEVICE, default 0).</summary>
    public int DeviceOrdinal { get; }

    /// <summary>10·major + minor, e.g. 90 for an H100.</summary>
    public int ComputeCapability { get; }

    /// <summary>Total device memory in bytes.</summary>
    public long TotalMemoryBytes { get; }

    /// <summary>
    /// The CUstream every kernel launch and copy of this backend is issued on; 0 (the default) is the
    /// legacy default stream. Set it to the caller's current stream (e.g. libtorch's) so our work is
    /// ordered with theirs. Host copies synchronise this stream before they return.
    /// </summary>
    public nint Stream { get; set; }

    /// <summary>The primary context (CUcontext) all work of this backend runs in.</summary>
    public nint Context => context.DangerousGetHandle();

    internal override IBackendKernels Kernels => kernels;

    internal override bool HostAddressable => false;

    internal override long AvailableMemoryBytes => (long)(TotalMemoryBytes * DeviceMemoryShare);

    internal override int MaxReductionBlocks => Gpu.SinkhornLaunches.MaxReductionGroups;

    internal override bool HasDeviceGemm => Native.CuBlas.IsAvailable;

    internal override IDeviceGemm OpenDeviceGemm() => CudaGemm.Open(this);

    internal CudaModules Modules => modules;

    /// <summary>
    /// Opens device GSL_CUDA_DEVICE (default 0). <paramref name="overrides"/> force launch shapes
    /// (tests sweep them); null lets the launchers choose. Throws <see cref="BackendUnavailableException"/> saying
    /// "no driver", "no device" or "no library" when CUDA cannot run here.
    /// </summary>
    internal static CudaBackend Open(LaunchOverrides? overrides = null) => Open(RequestedOrdinal(), overrides, RequestedSource());

    /// <summary>
    /// Opens device <paramref name="ordinal"/> in its primary context: how another framework's tensors
    /// on that device reach the library (their pointers are valid there). Its kernels come from the source
    /// GSL_CUDA_KERNELS names (NVRTC when unset; see <see cref="CudaKernelSource"/>). Throws
    /// <see cref="BackendUnavailableException"/> saying "no driver", "no device" or "no library".
    /// </summary>
    public static CudaBackend OpenDevice(int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        return Open(ordinal, overrides: null, RequestedSource());
    }

    /// <summary>
    /// Opens device <paramref name="ordinal"/> in its primary context with its kernels from
    /// <paramref name="source"/> (<see cref="CudaKernelSource.Ilgpu"/>: the C#-written kernels' PTX where
    /// one exists, NVRTC for the others). Throws <see cref="BackendUnavailableException"/> as
    /// <see cref="OpenDevice(int)"/> does.
    /// </summary>
    public static CudaBackend OpenDevice(int ordinal, CudaKernelSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        if (!Enum.IsDefined(source))
        {
            throw new ArgumentOutOfRangeException(nameof(source), source, "not a CudaKernelSource");
        }

        return Open(ordinal, overrides: null, source);
    }

    /// <summary>
    /// The kernel source GSL_CUDA_KERNELS names: "nvrtc" (or unset) or "ilgpu". Anything else makes the
    /// backend unavailable with the reason, rather than silently measuring the wrong kernels.
    /// </summary>
    internal static CudaKernelSource RequestedSource()
    {
        string? text = Environment.GetEnvironmentVariable("GSL_CUDA_KERNELS");
        return string.IsNullOrWhiteSpace(text) ? CudaKernelSource.Nvrtc : text.Trim().ToUpperInvariant() switch
        {
            "NVRTC" => CudaKernelSource.Nvrtc,
            "ILGPU" => CudaKernelSource.Ilgpu,
            _ => throw new BackendUnavailableException($"no device: GSL_CUDA_KERNELS='{text}' is neither nvrtc nor ilgpu"),
        };
    }

    private static unsafe CudaBackend Open(int ordinal, LaunchOverrides? overrides, CudaKernelSource source)
    {
        if (!NativeLibraries.TryLoad(NativeLibraryKind.Cuda, out _, out var missing))
        {
            throw new BackendUnavailableException($"no driver: {missing}");
        }

        try
        {
            int status = CudaApi.cuInit(0);
            if (status == CudaApi.ErrorNoDevice)
            {
                throw new BackendUnavailableException($"no device: cuInit: {CudaApi.ErrorName(status)}: {CudaApi.ErrorText(status)}");
            }

            if (status != CudaApi.Success)
            {
                throw new BackendUnavailableException($"no driver: cuInit failed: {CudaApi.ErrorName(status)} ({status}): {CudaApi.ErrorText(status)}");
            }

            int count;
            CudaApi.Check(CudaApi.cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0 || ordinal >= count)
            {
                throw new BackendUnavailableException(count == 0
                    ? "no device: the CUDA driver sees no GPU"
                    : $"no device: device {ordinal} was asked for but the driver sees {count} GPU(s)");
            }

            if (!NvrtcCompiler.TryLoad(out var nvrtcMissing))
            {
                throw new BackendUnavailableException(nvrtcMissing);
            }

            return new CudaBackend(ordinal, overrides ?? LaunchOverrides.None, source);
        }
        catch (GslDeviceException e)
        {
            throw new BackendUnavailableException($"no device: opening the CUDA device failed: {e.Message}", e);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new BackendUnavailableException($"no driver: the CUDA driver library is unusable: {e.Message}", e);
        }
    }

    /// <summary>Waits until everything issued on <see cref="Stream"/> has finished, surfacing a failure.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaApi.Check(CudaApi.cuStreamSynchronize(Stream), "cuStreamSynchronize");
    }

    /// <summary>Makes the primary context current on this thread; every entry point calls it first.</summary>
    internal void MakeCurrent() => context.MakeCurrent();

    /// <inheritdoc/>
    protected internal override DeviceBuffer AllocateBuffer(long bytes)
    {
        CountAllocation();
        MakeCurrent();
        return CudaBuffer.Allocate(this, context, bytes);
    }

    /// <summary>
    /// Wraps a device pointer from another framework. The driver is asked where the allocation ends
    /// so that a pointer too close to its end, or no device pointer at all, is an argument error
    /// rather than a fault inside a kernel.
    /// </summary>
    protected internal override unsafe DeviceBuffer WrapBuffer(nint pointer, long bytes)
    {
        MakeCurrent();
        ulong start;
        nuint size;
        int status = CudaApi.cuMemGetAddressRange_v2(&start, &size, (ulong)pointer);
        if (status == CudaApi.Success)
        {
            long available = (long)(start + size - (ulong)pointer);
            if (available < bytes)
            {
                throw new GslArgumentException("pointer", $"lies {available} bytes before the end of its allocation but the tensor needs {bytes}");
            }

            return CudaBuffer.View(pointer, bytes);
        }

        // Memory mapped with the virtual memory API reports no range; its memory type still tells.
        int type = 0;
        if (CudaApi.cuPointerGetAttribute(&type, CudaApi.PointerAttributeMemoryType, (ulong)pointer) == CudaApi.Success
            && type is CudaApi.MemoryTypeDevice or CudaApi.MemoryTypeUnified)
        {
            return CudaBuffer.View(pointer, bytes);
        }

        throw new GslArgumentException("pointer", $"is not device memory this CUDA context can use ({CudaApi.ErrorName(status)})");
    }

    /// <inheritdoc/>
    protected internal override unsafe void Upload(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        MakeCurrent();
        fixed (byte* p = source)
        {
            CudaApi.Check(CudaApi.cuMemcpyHtoDAsync_v2((ulong)(destination.Handle + (nint)byteOffset), p, (nuint)source.Length, Stream), "cuMemcpyHtoDAsync");
            CudaApi.Check(CudaApi.cuStreamSynchronize(Stream), "cuStreamSynchronize after a host-to-device copy");
        }
    }

    /// <inheritdoc/>
    protected internal override unsafe void Download(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return;
        }

        CountHostRead();

        MakeCurrent();
        fixed (byte* p = destination)
        {
            CudaApi.Check(CudaApi.cuMemcpyDtoHAsync_v2(p, (ulong)(source.Handle + (nint)byteOffset), (nuint)destination.Length, Stream), "cuMemcpyDtoHAsync");
            CudaApi.Check(CudaApi.cuStreamSynchronize(Stream), "cuStreamSynchronize after a device-to-host copy");
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            modules.Dispose();
            context.Dispose();
        }

        base.Dispose(disposing);
    }

    private static int RequestedOrdinal()
    {
        string? text = Environment.GetEnvironmentVariable("GSL_CUDA_DEVICE");
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }

        return int.TryParse(text, out int ordinal) && ordinal >= 0
            ? ordinal
            : throw new BackendUnavailableException($"no device: GSL_CUDA_DEVICE='{text}' is not a device index");
    }

    private static unsafe int Attribute(int device, int attribute)
    {
        int value;
        CudaApi.Check(CudaApi.cuDeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }
}
