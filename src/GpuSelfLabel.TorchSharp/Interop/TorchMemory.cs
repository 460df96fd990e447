using GpuSelfLabel.Backends.Cpu;
using TorchSharp;

namespace GpuSelfLabel.TorchSharp.Interop;

using GslTensor = GpuSelfLabel.Tensor;
using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>Views of TorchSharp storage as GpuSelfLabel tensors, and output tensors to write into.</summary>
internal static class TorchMemory
{
    /// <summary>
    /// The library's non-owned view of a contiguous float32 tensor: the storage's data pointer plus
    /// the tensor's storage offset, with the tensor's shape. The view must not outlive the tensor.
    /// </summary>
    public static GslTensor View(Tensor tensor, Backends.Backend backend)
    {
        if (tensor.dtype != torch.ScalarType.Float32 || !tensor.is_contiguous())
        {
            throw new InvalidOperationException($"internal: only contiguous float32 tensors are viewed, got {tensor.dtype}");
        }

        nint pointer = tensor.storage<float>().data_ptr() + checked((nint)(tensor.storage_offset() * sizeof(float)));
        return backend.Wrap(pointer, DType.Float32, tensor.shape);
    }

    /// <summary>
    /// An uninitialised float32 tensor on <paramref name="like"/>'s device, for the library to write.
    /// A large CPU one is advised for huge pages before its first touch, as the library's own buffers
    /// are: LibTorch maps big tensors fresh each time, and the 4 KiB faults of writing one would cost
    /// more than the fused pass that fills it.
    /// </summary>
    public static Tensor Empty(Tensor like, params long[] shape)
    {
        var tensor = torch.empty(shape, torch.ScalarType.Float32, like.device);
        if (tensor.device_type == DeviceType.CPU)
        {
            HugePages.Advise(tensor.storage<float>().data_ptr(), tensor.numel() * sizeof(float));
        }

        return tensor;
    }

    /// <summary>
    /// The tensor a caller gets back: float32 results stay as they are; for a float64 input the
    /// float32 result is widened (the computation itself is float32, see the README).
    /// </summary>
    public static Tensor As(Tensor result, torch.ScalarType dtype)
    {
        if (result.dtype == dtype)
        {
            return result;
        }

        var widened = result.to(dtype);
        result.Dispose();
        return widened;
    }
}
