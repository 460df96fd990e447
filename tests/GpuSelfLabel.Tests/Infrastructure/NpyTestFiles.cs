using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Writes .npy files the library itself never writes (float64, version 2, odd headers).</summary>
public static class NpyTestFiles
{
    public static void WriteFloat64(string path, double[] values, long[] shape, int version = 1)
    {
        string dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : string.Empty)}), }}";
        WriteRaw(path, dict, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), version);
    }

    public static void WriteRaw(string path, string dict, byte[] data, int version = 1)
    {
        int prefix = version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        var length = new byte[version == 1 ? 2 : 4];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(data);
    }
}
