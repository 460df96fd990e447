using System.Collections.Concurrent;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cuda;
using TorchSharp;

namespace GpuSelfLabel.TorchSharp.Interop;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The GpuSelfLabel backend that runs on a TorchSharp tensor's memory: the CPU backend for CPU
/// tensors; for CUDA tensors the CUDA backend on the tensor's device, in the primary context (the one
/// LibTorch uses) and on the legacy default stream, which is LibTorch's default stream (TorchSharp
/// 0.107 exposes no other). No CUDA build of LibTorch is served where this was written, so that path
/// has never run: it is kept to these few lines.
/// </summary>
internal static class TorchBackends
{
    private static readonly ConcurrentDictionary<int, Backend> Cuda = new();

    public static Backend For(Tensor tensor, string argument) => For(tensor.device_type, tensor.device_index, argument);

    public static Backend For(DeviceType type, int index, string argument)
    {
        switch (type)
        {
            case DeviceType.CPU:
                return Backend.Cpu;
            case DeviceType.CUDA:
                try
                {
                    return Cuda.GetOrAdd(Math.Max(index, 0), static ordinal => CudaBackend.OpenDevice(ordinal));
                }
                catch (BackendUnavailableException e)
                {
                    throw new GslArgumentException(argument, $"is a CUDA tensor (cuda:{index}) but GpuSelfLabel's CUDA backend cannot run here: {e.Message}");
                }

            default:
                throw new GslArgumentException(argument, $"lives on a {type} device; GpuSelfLabel runs on CPU and CUDA tensors");
        }
    }
}
