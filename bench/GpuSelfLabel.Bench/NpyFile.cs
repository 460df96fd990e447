using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSelfLabel.Bench;

/// <summary>
/// The little of the .npy format the side-by-side runner needs: reading C-ordered little-endian
/// float32 arrays as numpy.save writes them, writing float32 and int64 arrays (version 1.0 headers).
/// </summary>
internal static partial class NpyFile
{
    public static (float[] Values, long[] Shape) ReadFloats(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[10];
        stream.ReadExactly(prefix);
        if (prefix[0] != 0x93 || Encoding.ASCII.GetString(prefix[1..6]) != "NUMPY")
        {
            throw new InvalidDataException($"{path}: not a .npy file");
        }

        int headerLength;
        if (prefix[6] == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        }
        else
        {
            Span<byte> rest = stackalloc byte[2];
            stream.ReadExactly(rest);
            headerLength = checked((int)(BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]) | ((uint)BinaryPrimitives.ReadUInt16LittleEndian(rest) << 16)));
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        string text = Encoding.Latin1.GetString(header);
        if (!text.Contains("'descr': '<f4'", StringComparison.Ordinal) || !text.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: expected a C-ordered little-endian float32 array, header {text.Trim()}");
        }

        var shape = ShapePattern().Match(text).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var values = new float[checked((int)shape.Aggregate(1L, (a, b) => a * b))];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return (values, shape);
    }

    public static void Write(string path, ReadOnlySpan<float> values, params long[] shape) =>
        Write(path, "<f4", MemoryMarshal.AsBytes(values), shape);

    public static void Write(string path, ReadOnlySpan<long> values, params long[] shape) =>
        Write(path, "<i8", MemoryMarshal.AsBytes(values), shape);

    private static void Write(string path, string descr, ReadOnlySpan<byte> data, long[] shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";

        // The magic, version, length and header together are a multiple of 64 bytes, ending in a newline.
        int padding = 63 - ((10 + header.Length) % 64);
        header = header + new string(' ', padding) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(data);
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
