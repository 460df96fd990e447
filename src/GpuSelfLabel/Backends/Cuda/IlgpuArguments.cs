using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// Turns the arguments the shared launchers build for a CUDA C kernel (<see cref="KernelArguments"/>: a
/// pointer per buffer, then scalars) into the parameters ILGPU's PTX declares for the same kernel: a
/// buffer becomes an ArrayView, 16 bytes (the device pointer, then the length in elements, which the
/// kernels do not read: ILGPU's bounds checks are off in this PTX); scalars keep their width. Explicitly
/// grouped ILGPU kernels have no hidden parameter, so the two lists pair up one to one, and a launcher
/// whose kinds disagree with the kernel's is an error here rather than a fault on the device.
/// </summary>
internal static class IlgpuArguments
{
    /// <summary>
    /// Writes the parameter values of <paramref name="kernel"/> into <paramref name="words"/> (8-byte
    /// slots: two for a view, one for a scalar, a 4-byte value in the low half) and where each parameter
    /// starts into <paramref name="starts"/>. <paramref name="devicePointer"/> gives a buffer argument's
    /// device address (its buffer's plus the byte offset).
    /// </summary>
    public static void Pack(string kernel, IReadOnlyList<IlgpuParameter> parameters, KernelArguments arguments,
        Func<KernelArgument, ulong> devicePointer, Span<ulong> words, Span<int> starts)
    {
        var items = arguments.Items;
        if (items.Count != parameters.Count)
        {
            throw new InvalidOperationException($"{kernel}: the launcher passes {items.Count} arguments but the ILGPU kernel declares {parameters.Count}");
        }

        int at = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var parameter = parameters[i];
            if (!Matches(item.Kind, parameter.Kind))
            {
                throw new InvalidOperationException($"{kernel}: argument {i} is a {item.Kind} but the ILGPU kernel declares {parameter.Kind}");
            }

            starts[i] = at;
            switch (parameter.Kind)
            {
                case IlgpuParameterKind.View:
                    var buffer = item.Buffer!;
                    words[at++] = devicePointer(item);
                    words[at++] = (ulong)Math.Max(0, (buffer.SizeInBytes - item.Value) / parameter.ElementSize);
                    break;
                case IlgpuParameterKind.B32 or IlgpuParameterKind.F32:
                    words[at++] = (uint)(int)item.Value;
                    break;
                default:
                    words[at++] = (ulong)item.Value;
                    break;
            }
        }
    }

    /// <summary>8-byte slots <see cref="Pack"/> needs for <paramref name="parameters"/>.</summary>
    public static int Words(IReadOnlyList<IlgpuParameter> parameters) =>
        parameters.Sum(p => p.Kind == IlgpuParameterKind.View ? 2 : 1);

    private static bool Matches(KernelArgumentKind argument, IlgpuParameterKind parameter) => (argument, parameter) switch
    {
        (KernelArgumentKind.Buffer, IlgpuParameterKind.View) => true,
        (KernelArgumentKind.Index, IlgpuParameterKind.B64) => true,
        (KernelArgumentKind.Int, IlgpuParameterKind.B32) => true,
        (KernelArgumentKind.Float, IlgpuParameterKind.F32) => true,
        (KernelArgumentKind.Double, IlgpuParameterKind.F64) => true,
        _ => false,
    };
}
