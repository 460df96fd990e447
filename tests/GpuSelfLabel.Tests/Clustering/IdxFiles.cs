using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuSelfLabel.Tests.Clustering;

/// <summary>Writes small IDX files (raw or gzip) the way the MNIST distributions lay them out.</summary>
public static class IdxFiles
{
    public static byte[] Encode(byte type, int[] shape, byte[] data)
    {
        using var stream = new MemoryStream();
        stream.Write([0, 0, type, (byte)shape.Length]);
        var dimension = new byte[4];
        foreach (var d in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(dimension, d);
            stream.Write(dimension);
        }

        stream.Write(data);
        return stream.ToArray();
    }

    public static void Write(string path, byte[] idx, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, idx);
            return;
        }

        using var file = File.Create(path);
        using var compressor = new GZipStream(file, CompressionLevel.Fastest);
        compressor.Write(idx);
    }

    /// <summary>A test split in MNIST naming: images N×rows×columns (unsigned bytes) and N labels.</summary>
    public static void WriteDataset(string directory, byte[] pixels, int n, int rows, int columns, byte[] labels, bool gzip)
    {
        Directory.CreateDirectory(directory);
        string suffix = gzip ? ".gz" : string.Empty;
        Write(Path.Combine(directory, "t10k-images-idx3-ubyte" + suffix), Encode(0x08, [n, rows, columns], pixels), gzip);
        Write(Path.Combine(directory, "t10k-labels-idx1-ubyte" + suffix), Encode(0x08, [n], labels), gzip);
    }
}
