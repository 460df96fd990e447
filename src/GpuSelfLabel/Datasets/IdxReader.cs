using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuSelfLabel.Datasets;

/// <summary>
/// Reads the IDX format of MNIST-style datasets (idx3 images, idx1 labels), raw or gzip-compressed
/// (detected from the first bytes, not the file name). The header is two zero bytes, a type code, a
/// dimension count, then each dimension as a big-endian int32; values are big-endian. A file that
/// breaks the format is an <see cref="InvalidDataException"/> saying what was found.
/// </summary>
public static class IdxReader
{
    /// <summary>Reads the IDX file at <paramref name="path"/>.</summary>
    public static IdxArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <summary>Reads an IDX array from <paramref name="stream"/>, decompressing gzip when it starts with 1F 8B.</summary>
    public static IdxArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> head = stackalloc byte[4];
        int got = buffered.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (got >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            // Re-read from the start through the decompressor; the bytes already consumed are replayed.
            using var replay = new ConcatenatedStream(head[..got].ToArray(), buffered);
            using var gzip = new GZipStream(replay, CompressionMode.Decompress);
            return ReadRaw(new BufferedStream(gzip, 1 << 16), []);
        }

        return ReadRaw(buffered, head[..got].ToArray());
    }

    /// <summary>
    /// Images as an N×D float32 matrix (each image flattened row-major), unsigned bytes scaled to
    /// [0, 1] by 1/255; other types are returned unscaled.
    /// </summary>
    public static (float[] Values, int Rows, int Columns) ReadImages(string path)
    {
        var array = Read(path);
        if (array.Shape.Length < 2)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: an image file needs at least 2 dimensions (N, …), got {array.Shape.Length}");
        }

        if (array.ElementType == 0x08)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(array.Values, 1f / 255f, array.Values);
        }

        return (array.Values, array.Count, array.SampleSize);
    }

    /// <summary>Labels as class indices; the file must hold one integer dimension.</summary>
    public static int[] ReadLabels(string path)
    {
        var array = Read(path);
        if (array.Shape.Length != 1)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: a label file has 1 dimension, got {array.Shape.Length}");
        }

        if (array.ElementType is 0x0D or 0x0E)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: labels must be integers, the file holds floating-point values");
        }

        return Array.ConvertAll(array.Values, v => (int)v);
    }

    private static IdxArray ReadRaw(Stream stream, byte[] alreadyRead)
    {
        var header = new byte[4];
        alreadyRead.CopyTo(header, 0);
        ReadExactly(stream, header.AsSpan(alreadyRead.Length), "header");
        if (header[0] != 0 || header[1] != 0)
        {
            throw new InvalidDataException($"not an IDX file: it starts with {header[0]:X2} {header[1]:X2}, not 00 00 (nor a gzip stream)");
        }

        byte type = header[2];
        int size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException($"IDX type code 0x{type:X2} is not one of 08, 09, 0B, 0C, 0D, 0E"),
        };
        int rank = header[3];
        if (rank == 0)
        {
            throw new InvalidDataException("the IDX header declares 0 dimensions");
        }

        var dimensionBytes = new byte[4 * rank];
        ReadExactly(stream, dimensionBytes, "dimensions");
        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(dimensionBytes.AsSpan(4 * d));
            if (shape[d] < 0)
            {
                throw new InvalidDataException($"IDX dimension {d} is negative ({shape[d]})");
            }

            count *= shape[d];
            if (count > Array.MaxLength)
            {
                throw new InvalidDataException($"the IDX array has more than {Array.MaxLength:N0} elements");
            }
        }

        var raw = new byte[count * size];
        ReadExactly(stream, raw, "data");
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            var bytes = raw.AsSpan((int)(i * size), size);
            values[i] = type switch
            {
                0x08 => bytes[0],
                0x09 => (sbyte)bytes[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(bytes),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(bytes),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(bytes),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(bytes),
            };
        }

        return new IdxArray(shape, values, type);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string part)
    {
        int got;
        try
        {
            got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"the gzip stream is corrupt while reading the IDX {part}: {e.Message}", e);
        }

        if (got < buffer.Length)
        {
            throw new InvalidDataException($"the IDX file ends in its {part}: {buffer.Length:N0} bytes expected, {got:N0} found");
        }
    }
}
