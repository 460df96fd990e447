using TorchSharp;

namespace GpuSelfLabel.TorchSharp.Interop;

using GslTensor = GpuSelfLabel.Tensor;
using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// A TorchSharp tensor as the library reads it: a non-owned GpuSelfLabel view of the tensor's own
/// storage (storage pointer plus storage offset), without a copy when the tensor is float32 and
/// C-contiguous. A strided view or a float64 tensor is first made a contiguous float32 tensor, once;
/// that copy is the only one and lives as long as this object.
/// </summary>
internal sealed class TorchInput : IDisposable
{
    private readonly Tensor? converted;

    private TorchInput(Tensor? converted, GslTensor view)
    {
        this.converted = converted;
        View = view;
    }

    /// <summary>Whether reading needed a copy (strided view or float64).</summary>
    public bool Copied => converted is not null;

    /// <summary>The library's view of the tensor's memory, or of its one converted copy.</summary>
    public GslTensor View { get; }

    /// <summary>
    /// Wraps <paramref name="tensor"/> (float32 or float64, checked by <see cref="TorchChecks"/>) on
    /// <paramref name="backend"/>.
    /// </summary>
    public static TorchInput Of(Tensor tensor, Backends.Backend backend)
    {
        Tensor? converted = null;
        if (tensor.dtype != torch.ScalarType.Float32 || !tensor.is_contiguous())
        {
            // One copy straight into the layout the library reads, outside the autograd graph.
            using var noGrad = torch.no_grad();
            converted = TorchMemory.Empty(tensor, tensor.shape);
            converted.copy_(tensor);
        }

        var readable = converted ?? tensor;
        try
        {
            return new TorchInput(converted, TorchMemory.View(readable, backend));
        }
        catch
        {
            converted?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        View.Dispose();
        converted?.Dispose();
    }
}
