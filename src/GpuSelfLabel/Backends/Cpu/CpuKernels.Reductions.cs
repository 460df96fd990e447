using System.Numerics.Tensors;

namespace GpuSelfLabel.Backends.Cpu;

internal sealed partial class CpuKernels
{
    /// <summary>Elements per partial sum of <see cref="Sum"/>; a constant, so the partition depends only on the length.</summary>
    private const int SumBlockLength = 1 << 14;

    public unsafe double Sum(Tensor vector, Tensor scratch)
    {
        long length = vector.Length;
        long blocks = (length + SumBlockLength - 1) / SumBlockLength;
        var partial = new double[blocks];
        nint address = vector.Buffer.Handle + (nint)vector.ByteOffset;
        void SumBlock(long b)
        {
            long start = b * SumBlockLength;
            int count = (int)Math.Min(SumBlockLength, length - start);
            partial[b] = WideSum(new ReadOnlySpan<float>((float*)address + start, count));
        }

        if (blocks <= 1)
        {
            for (long b = 0; b < blocks; b++)
            {
                SumBlock(b);
            }
        }
        else
        {
            Parallel.For(0L, blocks, SumBlock);
        }

        double total = 0;
        foreach (var p in partial)
        {
            total += p;
        }

        return total;
    }

    /// <summary>Σ x in float64: float32 accumulation would lose the 1e-5 contract on long vectors.</summary>
    internal static double WideSum(ReadOnlySpan<float> values)
    {
        const int Chunk = 256;
        Span<double> wide = stackalloc double[Chunk];
        double sum = 0;
        for (int k = 0; k < values.Length; k += Chunk)
        {
            var part = values.Slice(k, Math.Min(Chunk, values.Length - k));
            var w = wide[..part.Length];
            TensorPrimitives.ConvertChecked<float, double>(part, w);
            sum += TensorPrimitives.Sum<double>(w);
        }

        return sum;
    }
}
