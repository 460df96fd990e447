using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSelfLabel.Cli.Npy;

/// <summary>
/// Reads NumPy .npy files, versions 1.0 to 3.0, C order, little-endian float32, float64, int32 and
/// int64 (cli.md). Anything else is a <see cref="NpyFormatException"/> that says what was found.
/// </summary>
internal static partial class NpyReader
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    public static NpyArray Read(Stream stream)
    {
        var (descr, fortran, shape) = ReadHeader(stream);
        if (fortran)
        {
            throw new NpyFormatException("the array is in Fortran order; save it in C order (numpy.ascontiguousarray)");
        }

        long count = ElementCount(shape);
        if (count > Array.MaxLength)
        {
            throw new NpyFormatException($"the array has {count:N0} elements, more than fits in memory in one piece");
        }

        int itemSize = descr switch
        {
            "<f4" or "<i4" => 4,
            "<f8" or "<i8" => 8,
            _ => 0,
        };
        if (itemSize > 0 && stream.CanSeek && stream.Length - stream.Position < count * itemSize)
        {
            throw new NpyFormatException($"the file holds {stream.Length - stream.Position:N0} bytes of data but its header announces {count * itemSize:N0} (shape {ShapeText(shape)})");
        }

        return descr switch
        {
            "<f4" => NpyArray.OfFloats(ReadValues<float>(stream, count), shape),
            "<f8" => NpyArray.OfFloats(Array.ConvertAll(ReadValues<double>(stream, count), v => (float)v), shape),
            "<i4" => NpyArray.OfIntegers(Array.ConvertAll(ReadValues<int>(stream, count), v => (long)v), shape),
            "<i8" => NpyArray.OfIntegers(ReadValues<long>(stream, count), shape),
            _ when descr.StartsWith('>') => throw new NpyFormatException($"dtype '{descr}' is big-endian; only little-endian data is read"),
            _ => throw new NpyFormatException($"dtype '{descr}' is not supported; .npy inputs are float32, float64, int32 or int64 (labels: int32 or int64)"),
        };
    }

    internal static (string Descr, bool Fortran, long[] Shape) ReadHeader(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8 || !prefix[..6].SequenceEqual(Magic))
        {
            throw new NpyFormatException("not a .npy file (missing the \\x93NUMPY magic)");
        }

        byte major = prefix[6];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new NpyFormatException($"format version {major}.{prefix[7]} is not supported (1.0 to 3.0 are)"),
        };
        Span<byte> lengthField = stackalloc byte[4];
        ReadExactly(stream, lengthField[..lengthBytes]);
        int headerLength = lengthBytes == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField)
            : checked((int)BinaryPrimitives.ReadUInt32LittleEndian(lengthField));
        if (stream.CanSeek && headerLength > stream.Length - stream.Position)
        {
            throw new NpyFormatException($"bad header: it announces {headerLength:N0} bytes but only {stream.Length - stream.Position:N0} follow (damaged or not a .npy file)");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerLength, throwOnEndOfStream: false) < headerLength)
        {
            throw new NpyFormatException($"bad header: the file ends inside its {headerLength:N0}-byte header (damaged or not a .npy file)");
        }

        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new NpyFormatException($"bad header: not a NumPy array description: {Printable(header)}");
        }

        var parts = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var dims = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out dims[i]) || dims[i] < 0)
            {
                throw new NpyFormatException($"bad header: shape ({shape.Groups[1].Value}) must list non-negative integers");
            }
        }

        ElementCount(dims);
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims);
    }

    /// <summary>
    /// The number of elements of <paramref name="shape"/>; a shape whose byte count would not fit in a
    /// file (2^40 × 2^40) is a bad header, not an arithmetic overflow.
    /// </summary>
    internal static long ElementCount(IReadOnlyList<long> shape)
    {
        const long MaxBytes = long.MaxValue / 8;
        long count = 1;
        foreach (var d in shape)
        {
            if (d != 0 && count > MaxBytes / d)
            {
                throw new NpyFormatException($"bad header: shape {ShapeText(shape)} has more elements than any file can hold");
            }

            count *= d;
        }

        return count;
    }

    private static string ShapeText(IReadOnlyList<long> shape) => "(" + string.Join(", ", shape) + (shape.Count == 1 ? ",)" : ")");

    /// <summary>At most 80 characters of the header, control characters shown as '?', so the error stays one line.</summary>
    private static string Printable(string header)
    {
        var text = new string([.. header.Trim().Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
        return header.Trim().Length > 80 ? text + "…" : text;
    }

    private static T[] ReadValues<T>(Stream stream, long count)
        where T : unmanaged
    {
        var values = new T[count];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        ReadExactly(stream, bytes);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("big-endian hosts are not supported");
        }

        return values;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw new NpyFormatException("the file ends before the data its header announces");
        }
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]+)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
