using GpuSelfLabel.Backends;

namespace GpuSelfLabel;

/// <summary>
/// A dense, C-ordered (row-major) array on one backend. The last dimension is the class axis (K);
/// all leading dimensions together are rows. A tensor either owns its buffer or is a view of memory
/// the library does not own (<see cref="Backend.Wrap"/>): that is how other frameworks hand us data.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly long[] shape;
    private bool disposed;

    internal Tensor(Backend backend, DeviceBuffer buffer, DType dtype, long[] shape, long byteOffset, bool ownsBuffer)
    {
        Backend = backend;
        Buffer = buffer;
        DType = dtype;
        this.shape = shape;
        ByteOffset = byteOffset;
        OwnsBuffer = ownsBuffer;
        long length = 1;
        foreach (var d in shape)
        {
            length = checked(length * d);
        }

        Length = length;
    }

    /// <summary>The backend whose device holds the data.</summary>
    public Backend Backend { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<long> Shape => shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size of the last dimension (1 for a scalar).</summary>
    public long Columns => shape.Length == 0 ? 1 : shape[^1];

    /// <summary>Product of all dimensions but the last: the number of rows an operation sees.</summary>
    public long Rows => shape.Length == 0 ? 1 : Length / Math.Max(1, shape[^1]);

    /// <summary>Size of the data in bytes.</summary>
    public long SizeInBytes => Length * DType.SizeInBytes();

    internal DeviceBuffer Buffer { get; }

    internal long ByteOffset { get; }

    internal bool OwnsBuffer { get; }

    /// <summary>
    /// A view (owning nothing) of <paramref name="shape"/> <paramref name="dtype"/> elements starting
    /// <paramref name="byteOffset"/> bytes into this tensor: how a workspace hands out its parts.
    /// </summary>
    internal Tensor View(DType dtype, long[] shape, long byteOffset)
    {
        var view = new Tensor(Backend, Buffer, dtype, shape, ByteOffset + byteOffset, ownsBuffer: false);
        if (byteOffset < 0 || byteOffset + view.SizeInBytes > SizeInBytes)
        {
            throw new InvalidOperationException($"a view of bytes [{byteOffset}, {byteOffset + view.SizeInBytes}) does not fit in a tensor of {SizeInBytes} bytes");
        }

        return view;
    }

    /// <summary>Shape as text, e.g. "(128, 10)".</summary>
    public string ShapeText => "(" + string.Join(", ", shape) + ")";

    /// <summary>Copies a float32 tensor to a new host array.</summary>
    public float[] ToArray()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (DType != DType.Float32)
        {
            throw new InvalidOperationException($"ToArray() reads float32 tensors; this one is {DType}.");
        }

        if (Length > Array.MaxLength)
        {
            throw new InvalidOperationException($"ToArray() fills one .NET array, at most {Array.MaxLength:N0} elements; this tensor has {Length:N0}: copy it in parts with Backend.CopyToHost.");
        }

        var result = new float[Length];
        Backend.CopyToHost(this, result);
        return result;
    }

    /// <summary>Frees the buffer if this tensor owns it; a view frees nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (OwnsBuffer)
        {
            Buffer.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{ShapeText} {DType} on {Backend.Name}";
}
