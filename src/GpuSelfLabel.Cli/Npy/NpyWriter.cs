using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace GpuSelfLabel.Cli.Npy;

/// <summary>Writes .npy version 1.0 (2.0 when the header is too long): float32 reals, int64 labels.</summary>
internal static class NpyWriter
{
    public static void Write(Stream stream, NpyArray array)
    {
        WriteHeader(stream, array.IsInteger ? "<i8" : "<f4", array.Shape);
        if (array.IsInteger)
        {
            stream.Write(MemoryMarshal.AsBytes(array.Integers.AsSpan()));
        }
        else
        {
            stream.Write(MemoryMarshal.AsBytes(array.Floats.AsSpan()));
        }
    }

    /// <summary>
    /// The magic, version and header of an array of <paramref name="descr"/> and
    /// <paramref name="shape"/>; the caller writes the data after it (arrays too large for one .NET array
    /// are written in pieces that way).
    /// </summary>
    public static void WriteHeader(Stream stream, string descr, IReadOnlyList<long> shape)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {ShapeText(shape)}, }}";

        // The header is padded with spaces and a newline so the data starts on a 64-byte boundary.
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        bool version2 = total - prefix > ushort.MaxValue;
        if (version2)
        {
            prefix = 12;
            total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        }

        string header = dict.PadRight(total - prefix - 1) + "\n";
        Span<byte> start = stackalloc byte[12];
        start[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", start[1..6]);
        start[6] = version2 ? (byte)2 : (byte)1;
        start[7] = 0;
        if (version2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(start[8..], (uint)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(start[8..], (ushort)header.Length);
        }

        stream.Write(start[..prefix]);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>A shape as NumPy writes it: "()", "(3,)", "(2, 3)".</summary>
    public static string ShapeText(IReadOnlyList<long> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape) + ")",
    };

    public static void Write(string path, NpyArray array)
    {
        using var stream = File.Create(path);
        Write(stream, array);
    }
}
