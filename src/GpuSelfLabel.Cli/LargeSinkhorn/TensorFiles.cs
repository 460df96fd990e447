using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.LargeSinkhorn;

/// <summary>Writes float32 tensors of any size (beyond one .NET array) as .npy, a piece at a time.</summary>
internal static class TensorFiles
{
    /// <summary>Bytes copied from the device and written per piece.</summary>
    private const int PieceBytes = 64 << 20;

    public static void WriteFloats(Stream stream, Tensor tensor, IReadOnlyList<long> shape)
    {
        NpyWriter.WriteHeader(stream, "<f4", shape);
        var piece = new byte[(int)Math.Min(PieceBytes, Math.Max(1, tensor.SizeInBytes))];
        for (long done = 0; done < tensor.SizeInBytes; done += piece.Length)
        {
            int count = (int)Math.Min(piece.Length, tensor.SizeInBytes - done);
            tensor.Backend.Download(tensor.Buffer, tensor.ByteOffset + done, piece.AsSpan(0, count));
            stream.Write(piece, 0, count);
        }
    }
}
