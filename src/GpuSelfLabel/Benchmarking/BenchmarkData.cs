using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// Seeded inputs for benchmarks, generated on the host a chunk of rows at a time and uploaded,
/// so any size the device holds works (no host array of the whole matrix). Values come from a
/// counter-based hash of (seed, index): the same on every run and machine, and cheap to make in parallel.
/// </summary>
internal static class BenchmarkData
{
    private const long ChunkElements = 1 << 22;

    /// <summary>A float32 tensor of the given shape, uniform in [−scale, scale).</summary>
    public static Tensor Uniform(Backend backend, ulong seed, float scale, params long[] shape)
    {
        var tensor = backend.Allocate(DType.Float32, shape);
        try
        {
            long length = tensor.Length;
            var chunk = new float[Math.Min(length, ChunkElements)];
            for (long start = 0; start < length; start += chunk.Length)
            {
                int count = (int)Math.Min(chunk.Length, length - start);
                long first = start;
                Parallel.For(0, (count + 65535) / 65536, block =>
                {
                    int end = Math.Min(count, (block + 1) * 65536);
                    for (int i = block * 65536; i < end; i++)
                    {
                        chunk[i] = scale * ((2f * UnitFloat(seed, first + i)) - 1f);
                    }
                });
                backend.Upload(tensor.Buffer, tensor.ByteOffset + (start * sizeof(float)), MemoryMarshal.AsBytes(chunk.AsSpan(0, count)));
            }

            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Rows on the simplex (softmax of seeded logits), strictly positive: valid targets, probabilities and EM starts.</summary>
    public static Tensor Distributions(Backend backend, ulong seed, long rows, long columns)
    {
        using var logits = Uniform(backend, seed, 3f, rows, columns);
        return Softmax.Forward(logits);
    }

    /// <summary>Class indices i mod K, one per row (labels for the Average-K operations).</summary>
    public static int[] Labels(long rows, long columns)
    {
        var labels = new int[checked((int)rows)];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (int)(i % columns);
        }

        return labels;
    }

    /// <summary>A value in [0, 1) from the SplitMix64 finaliser of seed and index.</summary>
    private static float UnitFloat(ulong seed, long index)
    {
        ulong x = seed + ((ulong)index * 0x9E3779B97F4A7C15UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 40) * (1f / (1 << 24));
    }
}
