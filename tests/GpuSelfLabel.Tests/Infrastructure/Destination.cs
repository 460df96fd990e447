using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// A destination for the <c>…Into</c> methods, held the way an interop layer holds one. On the CPU it is
/// host memory the test owns (NativeMemory) wrapped with <see cref="Backend.Wrap"/>, and <see cref="Read"/>
/// reads that memory itself, so a result found there was written in place, not copied out of a tensor
/// of the library's. On a GPU backend it is an allocated tensor. Every element starts as
/// <see cref="Sentinel"/>, so an untouched destination can be told.
/// </summary>
public sealed unsafe class Destination : IDisposable
{
    /// <summary>A value no operation here writes.</summary>
    public const float Sentinel = -12345.25f;

    private readonly float* host;
    private readonly Tensor? owner;

    private Destination(Tensor tensor, float* host, Tensor? owner, long capacity)
    {
        Tensor = tensor;
        this.host = host;
        this.owner = owner;
        Capacity = capacity;
    }

    /// <summary>The tensor to hand to the method under test.</summary>
    public Tensor Tensor { get; }

    /// <summary>Floats of memory behind the tensor (at least its length), from its first element on.</summary>
    public long Capacity { get; }

    /// <summary>
    /// A destination of <paramref name="shape"/> on <paramref name="backend"/>, with room for
    /// <paramref name="capacity"/> floats (more than the shape needs only when a test views a larger
    /// tensor over it, as an aliasing destination).
    /// </summary>
    public static Destination Create(Backend backend, long[] shape, long capacity = 0)
    {
        long length = shape.Aggregate(1L, (a, b) => a * b);
        capacity = Math.Max(capacity, length);
        if (backend.Name == "cpu")
        {
            var host = (float*)NativeMemory.AlignedAlloc((nuint)(capacity * sizeof(float)), 64);
            new Span<float>(host, checked((int)capacity)).Fill(Sentinel);
            return new Destination(backend.Wrap((nint)host, DType.Float32, shape), host, null, capacity);
        }

        var owner = capacity == length ? backend.Allocate(DType.Float32, shape) : backend.Allocate(DType.Float32, capacity);
        backend.CopyFromHost(Enumerable.Repeat(Sentinel, checked((int)capacity)).ToArray(), owner);
        var tensor = capacity == length ? owner : new Tensor(backend, owner.Buffer, DType.Float32, shape, 0, ownsBuffer: false);
        return new Destination(tensor, null, owner, capacity);
    }

    /// <summary>A view of this destination's memory with another shape (it must fit the capacity).</summary>
    public Tensor View(long[] shape)
    {
        long length = shape.Aggregate(1L, (a, b) => a * b);
        Assert.True(length <= Capacity, "the view does not fit the destination's memory");
        return host is not null
            ? Tensor.Backend.Wrap((nint)host, DType.Float32, shape)
            : new Tensor(Tensor.Backend, owner!.Buffer, DType.Float32, shape, 0, ownsBuffer: false);
    }

    /// <summary>The tensor's elements, read from the memory the test owns on the CPU.</summary>
    public float[] Read() => host is not null
        ? new ReadOnlySpan<float>(host, checked((int)Tensor.Length)).ToArray()
        : Tensor.ToArray();

    /// <summary>Every float of the memory, the spare capacity included, still holds the sentinel.</summary>
    public void AssertUntouched(string what)
    {
        float[] all = host is not null ? new ReadOnlySpan<float>(host, checked((int)Capacity)).ToArray() : owner!.ToArray();
        int changed = Array.FindIndex(all, v => BitConverter.SingleToInt32Bits(v) != BitConverter.SingleToInt32Bits(Sentinel));
        Assert.True(changed < 0, $"{what}: element {changed} of the destination was written ({(changed < 0 ? 0 : all[changed])})");
    }

    /// <summary>Frees the memory (the wrapped view first).</summary>
    public void Dispose()
    {
        Tensor.Dispose();
        owner?.Dispose();
        if (host is not null)
        {
            NativeMemory.AlignedFree(host);
        }
    }

    /// <summary>Two float32 results are the same bits, element by element.</summary>
    public static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}] = {actual[i]:G9}, expected exactly {expected[i]:G9}");
            }
        }
    }
}
