using System.IO.MemoryMappedFiles;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Cli.Npy;

/// <summary>
/// A .npy file mapped into memory read-only and seen as a CPU tensor (<see cref="Backend.Wrap"/>), for
/// score matrices larger than RAM: nothing is read until a pass touches it, and the operating system
/// pages the file in and out as the passes stream over it. Element types: float32 ('&lt;f4'), float16
/// ('&lt;f2') and bfloat16. NumPy has no bfloat16 dtype, so a bfloat16 file is either raw 16-bit
/// words saved as '&lt;u2' (<c>x.view(np.uint16)</c>) and read with <c>--dtype bfloat16</c>, or a void
/// dtype of two bytes ('|V2', what ml_dtypes' bfloat16 arrays save as).
/// </summary>
internal sealed unsafe class NpyMappedArray : IDisposable
{
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private bool disposed;

    private NpyMappedArray(MemoryMappedFile file, MemoryMappedViewAccessor view, Tensor tensor)
    {
        this.file = file;
        this.view = view;
        Tensor = tensor;
    }

    /// <summary>The mapped data as a CPU tensor view (C order); valid until <see cref="Dispose"/>.</summary>
    public Tensor Tensor { get; }

    /// <summary>
    /// Maps <paramref name="path"/>. <paramref name="declared"/> is the storage type the caller expects:
    /// it must match the file's dtype, except that '&lt;u2' words are read as bfloat16 when declared so.
    /// </summary>
    public static NpyMappedArray Open(string path, DType? declared = null)
    {
        long dataOffset;
        string descr;
        bool fortran;
        long[] shape;
        long length;
        using (var stream = File.OpenRead(path))
        {
            (descr, fortran, shape) = NpyReader.ReadHeader(stream);
            dataOffset = stream.Position;
            length = stream.Length;
        }

        if (fortran)
        {
            throw new NpyFormatException("the array is in Fortran order; save it in C order (numpy.ascontiguousarray)");
        }

        var dtype = StorageType(descr, declared);
        long bytes = NpyReader.ElementCount(shape) * dtype.SizeInBytes();
        if (dataOffset + bytes > length)
        {
            throw new NpyFormatException($"the file holds {length - dataOffset:N0} bytes of data but its header announces {bytes:N0}");
        }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            var tensor = Backend.Cpu.Wrap((nint)(pointer + view.PointerOffset + dataOffset), dtype, shape);
            return new NpyMappedArray(file, view, tensor);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>The storage type of a dtype string, checked against what the caller declared.</summary>
    public static DType StorageType(string descr, DType? declared)
    {
        DType found = descr switch
        {
            "<f4" => DType.Float32,
            "<f2" => DType.Float16,
            "|V2" or "<V2" => DType.BFloat16,
            "<u2" when declared == DType.BFloat16 => DType.BFloat16,
            "<u2" => throw new NpyFormatException("dtype '<u2' holds raw 16-bit words; pass --dtype bfloat16 if they are bfloat16 values"),
            _ when descr.StartsWith('>') => throw new NpyFormatException($"dtype '{descr}' is big-endian; only little-endian data is read"),
            _ => throw new NpyFormatException($"dtype '{descr}' cannot be streamed; a memory-mapped score matrix must be float32 ('<f4'), float16 ('<f2') or bfloat16 ('<u2' with --dtype bfloat16, or '|V2')"),
        };
        return found;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Tensor.Dispose();
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }
}
