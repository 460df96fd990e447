using System.Reflection;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace GpuSelfLabel.Kernels.Ilgpu.Tests;

/// <summary>
/// The shared GPU launchers (<see cref="GpuKernels"/>) driving the C# kernels on ILGPU's CPU accelerator:
/// the same grid and group choices and the same <see cref="KernelArguments"/> the CUDA backend passes,
/// with each buffer copied into an ILGPU buffer before the launch and back after it (buffers that several
/// arguments view are copied once, so aliasing views stay aliased). Every launch is also packed as the
/// CUDA backend would pack it for ILGPU's embedded PTX and checked against that module's declarations.
/// Tensors live on the CPU backend, so a
/// test compares against the CPU backend's own kernels on the same inputs. Slow: tiny shapes only.
/// </summary>
internal sealed class IlgpuCpuKernels : GpuKernels
{
    // One accelerator for the test run (its kernels compile once); 4 lanes × 64 warps: groups up to 256
    // work-items, as the GPU launchers may choose. Launches are serialised: the tests share it.
    private static readonly Context SharedContext = Context.Create(builder => builder.CPU(new CPUDevice(4, 64, 1)));
    private static readonly CPUAccelerator SharedAccelerator = SharedContext.CreateCPUAccelerator(0);
    private static readonly Dictionary<string, ILGPU.Runtime.Kernel> Loaded = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    private readonly CPUAccelerator accelerator = SharedAccelerator;
    private readonly Dictionary<(string File, string Name), MethodInfo> methods = new();

    public IlgpuCpuKernels(LaunchOverrides overrides)
        : base(Backends.Cpu.CpuBackend.Instance, overrides)
    {
        foreach (var family in IlgpuKernelCatalog.Families)
        {
            foreach (var kernel in family.Kernels)
            {
                methods[(family.CudaFile, kernel.Name)] = kernel.Method;
            }
        }
    }

    /// <summary>Every kernel launched so far, by name.</summary>
    public List<string> Launched { get; } = [];

    protected override GpuKernel Kernel(string file, string name) =>
        methods.TryGetValue((file, name), out var method)
            ? new Handle(file, name, method, Math.Min(LaunchShape.MaxLocalSize, accelerator.MaxNumThreadsPerGroup))
            : throw new NotSupportedException($"{file}:{name} has no ILGPU version (it stays NVRTC-only)");

    protected override void Synchronize(GpuKernel kernel) => accelerator.Synchronize();

    protected override void Enqueue(GpuKernel launched, long groups, int groupSize, KernelArguments arguments)
    {
        lock (Gate)
        {
            EnqueueLocked(launched, groups, groupSize, arguments);
        }
    }

    private void EnqueueLocked(GpuKernel launched, long groups, int groupSize, KernelArguments arguments)
    {
        var kernel = (Handle)launched;
        var parameters = kernel.Method.GetParameters();
        var items = arguments.Items;
        Assert.Equal(parameters.Length, items.Count);
        CheckCudaPacking(kernel, arguments);
        var copies = new Dictionary<DeviceBuffer, MemoryBuffer1D<byte, Stride1D.Dense>>(ReferenceEqualityComparer.Instance);
        try
        {
            var values = new object[items.Count];
            for (int i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var type = parameters[i].ParameterType;
                values[i] = item.Kind switch
                {
                    KernelArgumentKind.Buffer => View(Copy(copies, item.Buffer!), item.Value, type),
                    KernelArgumentKind.Index => item.Value,
                    KernelArgumentKind.Int => (int)item.Value,
                    KernelArgumentKind.Float => BitConverter.Int32BitsToSingle((int)item.Value),
                    _ => BitConverter.Int64BitsToDouble(item.Value),
                };
                Assert.True(values[i].GetType() == type || item.Kind == KernelArgumentKind.Buffer, $"{kernel.Name}: argument {i} is {item.Kind}, the kernel takes {type.Name}");
            }

            Load(kernel).Launch(accelerator.DefaultStream, new KernelConfig((int)groups, groupSize), values);
            accelerator.Synchronize();
            foreach (var (buffer, copy) in copies)
            {
                Device.Upload(buffer, 0, copy.GetAsArray1D());
            }

            Launched.Add(kernel.Name);
        }
        finally
        {
            foreach (var copy in copies.Values)
            {
                copy.Dispose();
            }
        }
    }

    /// <summary>
    /// What the CUDA backend would hand cuLaunchKernel for this launch of ILGPU's PTX: the packer must
    /// accept the launcher's arguments against the kinds the embedded module declares, one slot (or two,
    /// for a view) per parameter, sized as the module's .param declarations say.
    /// </summary>
    private static void CheckCudaPacking(Handle kernel, KernelArguments arguments)
    {
        string family = IlgpuPtx.Family(kernel.File);
        var parameters = IlgpuPtx.Kernels(family)[kernel.Name];
        var declared = IlgpuPtx.DeclaredSizes(IlgpuPtx.Text(family), kernel.Name);
        var words = new ulong[IlgpuArguments.Words(parameters)];
        var starts = new int[parameters.Count];
        IlgpuArguments.Pack(kernel.Name, parameters, arguments, item => 0x7000_0000_0000UL + (ulong)item.Value, words, starts);
        for (int i = 0; i < parameters.Count; i++)
        {
            int next = i + 1 < parameters.Count ? starts[i + 1] : words.Length;
            Assert.Equal(declared[i], parameters[i].Size);
            Assert.Equal((parameters[i].Size + 7) / 8, next - starts[i]);
            var item = arguments.Items[i];
            if (item.Kind == KernelArgumentKind.Buffer)
            {
                Assert.Equal(0x7000_0000_0000UL + (ulong)item.Value, words[starts[i]]);
                Assert.Equal((ulong)((item.Buffer!.SizeInBytes - item.Value) / parameters[i].ElementSize), words[starts[i] + 1]);
            }
        }
    }

    private MemoryBuffer1D<byte, Stride1D.Dense> Copy(Dictionary<DeviceBuffer, MemoryBuffer1D<byte, Stride1D.Dense>> copies, DeviceBuffer buffer)
    {
        if (!copies.TryGetValue(buffer, out var copy))
        {
            var bytes = new byte[buffer.SizeInBytes];
            Device.Download(buffer, 0, bytes);
            copy = accelerator.Allocate1D(bytes);
            copies[buffer] = copy;
        }

        return copy;
    }

    private static object View(MemoryBuffer1D<byte, Stride1D.Dense> copy, long byteOffset, Type viewType)
    {
        var bytes = copy.View.AsContiguous().SubView(byteOffset);
        var element = viewType.GetGenericArguments()[0];
        return element == typeof(float) ? bytes.Cast<float>()
            : element == typeof(double) ? bytes.Cast<double>()
            : element == typeof(ushort) ? bytes.Cast<ushort>()
            : element == typeof(long) ? bytes.Cast<long>()
            : throw new NotSupportedException($"views of {element}");
    }

    /// <summary>The kernel loaded as an explicitly grouped kernel (any number of parameters), once per run.</summary>
    private ILGPU.Runtime.Kernel Load(Handle kernel)
    {
        if (!Loaded.TryGetValue(kernel.Name, out var loaded))
        {
            loaded = accelerator.LoadKernel(kernel.Method);
            Loaded[kernel.Name] = loaded;
        }

        return loaded;
    }

    private sealed class Handle : GpuKernel
    {
        public Handle(string file, string name, MethodInfo method, int maxGroupSize)
            : base(file, name, maxGroupSize)
        {
            Method = method;
        }

        public MethodInfo Method { get; }
    }
}
