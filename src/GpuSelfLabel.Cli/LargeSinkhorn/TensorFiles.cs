using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.LargeSinkhorn;

/// <summary>Writes float32 tensors of any size (beyond one .NET array) as .npy.</summary>
internal static class TensorFiles
{
    /// <summary>Bytes handed to one write call (CPU), or copied from the device and written per piece.</summary>
    private const int PieceBytes = 64 << 20;

    /// <summary>
    /// Writes the .npy header and then the tensor's bytes. A tensor on a host-addressable backend (the
    /// CPU's) is written straight from its own memory, with no intermediate copy; a device tensor is
    /// downloaded a piece at a time.
    /// </summary>
    public static unsafe void WriteFloats(Stream stream, Tensor tensor, IReadOnlyList<long> shape)
    {
        NpyWriter.WriteHeader(stream, "<f4", shape);
        if (tensor.Backend.HostAddressable)
        {
            byte* start = (byte*)tensor.Buffer.Handle + tensor.ByteOffset;
            for (long done = 0; done < tensor.SizeInBytes; done += PieceBytes)
            {
                int count = (int)Math.Min(PieceBytes, tensor.SizeInBytes - done);
                stream.Write(new ReadOnlySpan<byte>(start + done, count));
            }

            return;
        }

        var piece = new byte[(int)Math.Min(PieceBytes, Math.Max(1, tensor.SizeInBytes))];
        for (long done = 0; done < tensor.SizeInBytes; done += piece.Length)
        {
            int count = (int)Math.Min(piece.Length, tensor.SizeInBytes - done);
            tensor.Backend.Download(tensor.Buffer, tensor.ByteOffset + done, piece.AsSpan(0, count));
            stream.Write(piece, 0, count);
        }
    }
}
