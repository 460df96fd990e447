using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli;

/// <summary>
/// The checks every array input of every command shares, so each says the same thing about a path that
/// is a directory, is missing, cannot be read or is not a .npy file: one line naming the argument.
/// </summary>
internal static class InputFiles
{
    /// <summary>The full path of <paramref name="file"/>, which must be an existing file (not a directory).</summary>
    public static string Existing(FileInfo file, string argument)
    {
        if (Directory.Exists(file.FullName))
        {
            throw new UsageException($"argument '{argument}': '{file.FullName}' is a directory; give a .npy file");
        }

        if (!file.Exists)
        {
            throw new UsageException($"argument '{argument}': file '{file.FullName}' does not exist");
        }

        return file.FullName;
    }

    /// <summary>Reads the whole .npy file given as <c>--argument</c>.</summary>
    public static NpyArray Read(FileInfo file, string argument)
    {
        string path = Existing(file, argument);
        return Reading(file, argument, () => NpyReader.Read(path));
    }

    /// <summary>
    /// A real-valued input as a float32 tensor on <paramref name="backend"/>, read without extra copies:
    /// a C-order float32 file is memory-mapped and, on the CPU backend, used in place (the operating
    /// system pages it in as the operation reads it); on a device it is uploaded from the mapping. Any
    /// other dtype (float64, int32, int64) is read whole and converted. Everything that holds the data
    /// is handed to <paramref name="keep"/>, to be disposed once the tensor is no longer needed.
    /// </summary>
    public static Tensor Floats(FileInfo file, string argument, Backend backend, Action<IDisposable> keep)
    {
        string path = Existing(file, argument);
        var mapped = Reading(file, argument, () => MapFloat32(path));
        if (mapped is null)
        {
            var array = Read(file, argument);
            var values = array.Floats ?? Array.ConvertAll(array.Integers!, v => (float)v);
            var converted = backend.FromArray(values, array.Shape);
            keep(converted);
            return converted;
        }

        keep(mapped);
        if (backend == Backend.Cpu)
        {
            return mapped.Tensor;
        }

        var host = mapped.Tensor;
        var device = backend.Allocate(DType.Float32, [.. host.Shape]);
        keep(device);
        Upload(host, device);
        return device;
    }

    /// <summary>Runs <paramref name="read"/>, turning a bad file or an unreadable one into a usage error naming the argument.</summary>
    public static T Reading<T>(FileInfo file, string argument, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (NpyFormatException e)
        {
            throw new UsageException($"argument '{argument}': {file.Name}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"argument '{argument}': cannot read '{file.FullName}': {e.Message}", e);
        }
    }

    /// <summary>The file mapped as float32, or null when its dtype or order needs conversion.</summary>
    private static NpyMappedArray? MapFloat32(string path)
    {
        using (var stream = File.OpenRead(path))
        {
            var (descr, fortran, _) = NpyReader.ReadHeader(stream);
            if (descr != "<f4" || fortran)
            {
                return null;
            }
        }

        return NpyMappedArray.Open(path, DType.Float32);
    }

    /// <summary>Copies a CPU tensor to a device tensor of the same size, 64 MiB per transfer, without a staging array.</summary>
    private static unsafe void Upload(Tensor host, Tensor device)
    {
        const int PieceBytes = 64 << 20;
        byte* start = (byte*)host.Buffer.Handle + host.ByteOffset;
        for (long done = 0; done < host.SizeInBytes; done += PieceBytes)
        {
            int count = (int)Math.Min(PieceBytes, host.SizeInBytes - done);
            device.Backend.Upload(device.Buffer, device.ByteOffset + done, new ReadOnlySpan<byte>(start + done, count));
        }
    }
}
