namespace GpuSelfLabel.Backends.Gpu;

/// <summary>How a kernel parameter is passed; each kind matches one C type of gsl_portable.h.</summary>
internal enum KernelArgumentKind
{
    /// <summary>A GLOBAL pointer: a device buffer plus a byte offset into it.</summary>
    Buffer,
    /// <summary>GSL_INDEX, 64-bit signed.</summary>
    Index,
    /// <summary>int, 32-bit signed.</summary>
    Int,
    /// <summary>float.</summary>
    Float,
    /// <summary>double (float64 accumulators and state vectors of the solvers).</summary>
    Double,
}

/// <summary>One kernel parameter. Scalars keep their bits in <see cref="Value"/>.</summary>
internal readonly record struct KernelArgument(KernelArgumentKind Kind, long Value, DeviceBuffer? Buffer);

/// <summary>
/// The parameters of one launch, in kernel-signature order, written once for every backend:
/// <c>new KernelArguments().Buffer(logits).Buffer(output).Index(rows).Index(cols).Float(s).Int(flag)</c>.
/// Each method names the C type it stands for, so a 32-bit int can never be passed where the kernel
/// reads a 64-bit GSL_INDEX. It also keeps the buffers reachable until the launch is enqueued.
/// </summary>
internal sealed class KernelArguments
{
    private readonly List<KernelArgument> items = new(8);

    public IReadOnlyList<KernelArgument> Items => items;

    /// <summary>A tensor's data, for a <c>GLOBAL float*</c> (or other element type) parameter.</summary>
    public KernelArguments Buffer(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        items.Add(new KernelArgument(KernelArgumentKind.Buffer, tensor.ByteOffset, tensor.Buffer));
        return this;
    }

    /// <summary>A device buffer (scratch space) from <paramref name="byteOffset"/> on.</summary>
    public KernelArguments Buffer(DeviceBuffer buffer, long byteOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        items.Add(new KernelArgument(KernelArgumentKind.Buffer, byteOffset, buffer));
        return this;
    }

    /// <summary>A <c>GSL_INDEX</c> parameter (row and column counts, offsets).</summary>
    public KernelArguments Index(long value)
    {
        items.Add(new KernelArgument(KernelArgumentKind.Index, value, null));
        return this;
    }

    /// <summary>An <c>int</c> parameter (flags, small enumerations).</summary>
    public KernelArguments Int(int value)
    {
        items.Add(new KernelArgument(KernelArgumentKind.Int, value, null));
        return this;
    }

    /// <summary>A <c>double</c> parameter.</summary>
    public KernelArguments Double(double value)
    {
        items.Add(new KernelArgument(KernelArgumentKind.Double, BitConverter.DoubleToInt64Bits(value), null));
        return this;
    }

    /// <summary>A <c>float</c> parameter.</summary>
    public KernelArguments Float(float value)
    {
        items.Add(new KernelArgument(KernelArgumentKind.Float, BitConverter.SingleToInt32Bits(value), null));
        return this;
    }
}
