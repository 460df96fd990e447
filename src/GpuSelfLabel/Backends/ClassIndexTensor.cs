using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends;

/// <summary>Moves validated host class indices to a backend as an int32 vector, the form kernels read.</summary>
internal static class ClassIndexTensor
{
    public static Tensor Upload(Backend backend, int[] labels)
    {
        var tensor = backend.Allocate(DType.Int32, labels.Length);
        backend.Upload(tensor.Buffer, tensor.ByteOffset, MemoryMarshal.AsBytes(labels.AsSpan()));
        return tensor;
    }
}
