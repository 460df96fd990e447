using System.Numerics;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Cli.LargeSinkhorn;

/// <summary>
/// A deterministic synthetic SeLa problem for trying the large-N solver (<c>gsl sinkhorn --n N --k K</c>):
/// row i of head h favours two clusters, drawn uniformly, by <see cref="Preference"/> each, and every
/// logit adds noise <see cref="Noise"/>·u with u uniform in [−1, 1). Most rows are then near-ties
/// between their two clusters, which the equipartition settles: the hard labels come out balanced
/// (a row with a single favourite would keep it whatever r does, and one whose favourite loses to the
/// noise spreads over many clusters). Every value comes from a counter-based hash of
/// (seed, h, i, k), so an entry does not depend on the chunking, the thread count or the storage type
/// it is rounded to. Rows are generated straight into the storage type, a block of rows at a time:
/// memory stays at the matrix itself (7.2 GiB of bfloat16 for ImageNet × 3000).
/// </summary>
internal static class SyntheticScores
{
    /// <summary>Logit bonus of each of a row's two favoured clusters.</summary>
    public const float Preference = 2f;

    /// <summary>Half-width of the uniform noise on every logit.</summary>
    public const float Noise = 0.5f;

    private const uint Golden = 0x9E3779B9u;

    private static readonly uint[] Lanes = LaneIndices();

    /// <summary>An H×N×K (or N×K for one head) CPU tensor of <paramref name="dtype"/> filled with the problem.</summary>
    public static Tensor Generate(int heads, long rows, int columns, int seed, DType dtype, CancellationToken cancellation = default)
    {
        long[] shape = heads == 1 ? [rows, columns] : [heads, rows, columns];
        var tensor = Backend.Cpu.Allocate(dtype, shape);
        try
        {
            long total = heads * rows;
            int size = dtype.SizeInBytes();
            // A cancelled generation skips its remaining blocks and throws here, not inside Parallel.For
            // (which would wrap the exception).
            CpuRows.ForBlocks(total, columns, (start, end) =>
            {
                if (cancellation.IsCancellationRequested)
                {
                    return;
                }

                var row = new float[columns];
                for (long r = start; r < end; r++)
                {
                    Row(seed, (int)(r / rows), r % rows, row);
                    StorageConversion.Store(row, dtype, tensor.Buffer.Handle + (nint)(r * columns * size));
                }
            });
            cancellation.ThrowIfCancellationRequested();
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Row <paramref name="row"/> of head <paramref name="head"/> in float32.</summary>
    public static void Row(int seed, int head, long row, Span<float> destination)
    {
        uint key = Mix(Mix((uint)seed ^ Mix((uint)head + 0x51ED270Bu)) ^ (uint)row ^ Mix((uint)(row >> 32) + 0x2545F491u));
        int first = (int)(Mix(key ^ 0xA511E9B3u) % (uint)destination.Length);
        int second = (int)(Mix(key ^ 0x3C6EF372u) % (uint)destination.Length);
        var index = new Vector<uint>(Lanes);
        var step = new Vector<uint>((uint)Vector<uint>.Count);
        var keys = new Vector<uint>(key);
        var golden = new Vector<uint>(Golden);
        var scale = new Vector<float>(2 * Noise / (1 << 24));
        var shift = new Vector<float>(-Noise);
        int k = 0;
        for (; k <= destination.Length - Vector<uint>.Count; k += Vector<uint>.Count)
        {
            var bits = Mix(keys + (index * golden)) >> 8;
            var value = Vector.FusedMultiplyAdd(Vector.ConvertToSingle(Vector.AsVectorInt32(bits)), scale, shift);
            value.CopyTo(destination[k..]);
            index += step;
        }

        for (; k < destination.Length; k++)
        {
            uint bits = Mix(key + ((uint)k * Golden)) >> 8;
            destination[k] = MathF.FusedMultiplyAdd(bits, 2 * Noise / (1 << 24), -Noise);
        }

        destination[first] += Preference;
        destination[second] += Preference;
    }

    /// <summary>A 32-bit finaliser (xor-shift-multiply): every input bit reaches every output bit.</summary>
    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x85EBCA6Bu;
        x ^= x >> 13;
        x *= 0xC2B2AE35u;
        x ^= x >> 16;
        return x;
    }

    private static Vector<uint> Mix(Vector<uint> x)
    {
        x ^= x >> 16;
        x *= new Vector<uint>(0x85EBCA6Bu);
        x ^= x >> 13;
        x *= new Vector<uint>(0xC2B2AE35u);
        x ^= x >> 16;
        return x;
    }

    private static uint[] LaneIndices()
    {
        var values = new uint[Vector<uint>.Count];
        for (int j = 0; j < values.Length; j++)
        {
            values[j] = (uint)j;
        }

        return values;
    }
}
