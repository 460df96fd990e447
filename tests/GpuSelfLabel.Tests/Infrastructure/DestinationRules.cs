using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// The destination rules every <c>…Into</c> method shares, run against one destination argument: a
/// missing destination, one on another backend, one of another dtype, one of another shape (the same
/// element count in another layout too), and one that is the memory of an input or of a destination
/// checked before it. Each must raise <see cref="GslArgumentException"/> naming the argument before
/// anything is written: every destination keeps its sentinel and every input its values.
/// </summary>
public static class DestinationRules
{
    /// <summary>
    /// <paramref name="call"/> runs the method with its argument <paramref name="argument"/> replaced by
    /// the tensor it is given, and valid destinations <paramref name="others"/> for the rest; the first
    /// <paramref name="earlier"/> of those are checked before this one, so sharing their memory is refused.
    /// <paramref name="optional"/>: a null destination means "not wanted" and is not refused.
    /// </summary>
    public static void Enforced(Backend backend, string argument, long[] shape, Action<Tensor> call, Tensor[] inputs, Destination[] others, int earlier = 0, bool optional = false)
    {
        var before = inputs.Select(t => t.ToArray()).ToArray();
        void Refused(Tensor? candidate, string why)
        {
            var e = Assert.Throws<GslArgumentException>(() => call(candidate!));
            Assert.True(e.Argument == argument, $"{argument}, {why}: the error names '{e.Argument}' ({e.Message})");
            foreach (var other in others)
            {
                other.AssertUntouched($"{argument}, {why}");
            }

            for (int i = 0; i < inputs.Length; i++)
            {
                Destination.AssertBitwise(before[i], inputs[i].ToArray(), $"{argument}, {why}: input {i}");
            }
        }

        void RefusedDestination(Backend on, long[] wrongShape, string why)
        {
            using var destination = Destination.Create(on, wrongShape);
            Refused(destination.Tensor, why);
            destination.AssertUntouched($"{argument}, {why}");
        }

        if (!optional)
        {
            Refused(null, "no destination");
        }

        if (Other(backend) is { } other)
        {
            RefusedDestination(other, shape, $"on {other.Name}");
        }

        using (var half = backend.Allocate(DType.Float16, shape))
        {
            var pattern = Enumerable.Repeat((byte)0xA5, checked((int)half.SizeInBytes)).ToArray();
            backend.Upload(half.Buffer, half.ByteOffset, pattern);
            Refused(half, "float16");
            var after = new byte[pattern.Length];
            backend.Download(half.Buffer, half.ByteOffset, after);
            Assert.Equal(pattern, after);
        }

        long length = shape.Aggregate(1L, (a, b) => a * b);
        RefusedDestination(backend, shape.Length == 1 ? [shape[0], 1] : [length], "the same elements in another shape");
        RefusedDestination(backend, [shape[0] + 1, .. shape[1..]], "one row more");

        for (int i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            Assert.True(input.Length >= length, "an input smaller than the destination cannot be viewed as it");

            // On the CPU the alias is a second wrap of the input's address, as an interop layer would hand
            // it in: another buffer object over the same memory.
            using var alias = backend.Name == "cpu"
                ? backend.Wrap(input.Buffer.Handle + (nint)input.ByteOffset, DType.Float32, shape)
                : new Tensor(backend, input.Buffer, DType.Float32, shape, input.ByteOffset, ownsBuffer: false);
            Refused(alias, $"the memory of input {i}");
        }

        for (int j = 0; j < earlier; j++)
        {
            using var alias = others[j].View(shape);
            Refused(alias, $"the memory of destination {j}");
        }
    }

    /// <summary>A backend other than <paramref name="backend"/>: the CPU for a GPU backend, OpenCL (when it is here) for the CPU.</summary>
    private static Backend? Other(Backend backend)
    {
        if (backend.Name != "cpu")
        {
            return Backend.Cpu;
        }

        try
        {
            return BackendRegistry.Open("opencl");
        }
        catch (BackendUnavailableException)
        {
            return null;
        }
    }
}
