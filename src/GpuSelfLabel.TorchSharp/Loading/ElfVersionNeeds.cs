using System.Buffers.Binary;
using System.Text;

namespace GpuSelfLabel.TorchSharp.Loading;

/// <summary>
/// Edits the version requirements (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF shared
/// library. TorchSharp 0.107's native glue asks for <c>GLIBCXX_3.4.32</c> only for one symbol that no
/// relocation uses; marking that requirement weak lets the dynamic loader accept an older C++ runtime
/// (it then binds every symbol that is really used against the versions that runtime has).
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint SectionTypeVersionNeeds = 0x6ffffffe;
    private const ushort VersionFlagWeak = 0x2;

    /// <summary>
    /// Sets the weak flag on every requirement named <paramref name="version"/> (e.g. "GLIBCXX_3.4.32").
    /// Returns false, changing nothing, when the file is not a 64-bit little-endian ELF or does not
    /// require that version.
    /// </summary>
    public static bool MarkWeak(Span<byte> image, string version)
    {
        if (image.Length < 64 || !image[..4].SequenceEqual("\u007fELF"u8) || image[4] != 2 || image[5] != 1)
        {
            return false;
        }

        long sectionTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(image[0x28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image[0x3C..]);
        bool marked = false;
        for (int i = 0; i < count; i++)
        {
            var section = Slice(image, sectionTable + ((long)i * entrySize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != SectionTypeVersionNeeds)
            {
                continue;
            }

            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(section[0x18..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]);
            var strings = Slice(image, sectionTable + ((long)link * entrySize), 64);
            long stringTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(strings[0x18..]);
            marked |= MarkInSection(image, offset, stringTable, version);
        }

        return marked;
    }

    /// <summary>Walks the Elf64_Verneed list and each entry's Elf64_Vernaux list.</summary>
    private static bool MarkInSection(Span<byte> image, long offset, long stringTable, string version)
    {
        bool marked = false;
        long need = offset;
        while (true)
        {
            var entry = Slice(image, need, 16);
            int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
            long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            for (int a = 0; a < auxCount; a++)
            {
                var auxiliary = Slice(image, aux, 16);
                long name = stringTable + BinaryPrimitives.ReadUInt32LittleEndian(auxiliary[8..]);
                if (ReadString(image, name) == version)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(auxiliary[4..]);
                    BinaryPrimitives.WriteUInt16LittleEndian(auxiliary[4..], (ushort)(flags | VersionFlagWeak));
                    marked = true;
                }

                aux += BinaryPrimitives.ReadUInt32LittleEndian(auxiliary[12..]);
            }

            uint next = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
            if (next == 0)
            {
                return marked;
            }

            need += next;
        }
    }

    private static Span<byte> Slice(Span<byte> image, long offset, int length)
    {
        if (offset < 0 || offset + length > image.Length)
        {
            throw new InvalidDataException($"ELF structure at offset {offset} lies outside the {image.Length}-byte file");
        }

        return image.Slice((int)offset, length);
    }

    private static string ReadString(Span<byte> image, long offset)
    {
        _ = Slice(image, offset, 1);
        var tail = image[(int)offset..];
        int end = tail.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? tail : tail[..end]);
    }
}
