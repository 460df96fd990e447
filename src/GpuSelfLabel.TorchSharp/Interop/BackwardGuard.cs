using TorchSharp;

namespace GpuSelfLabel.TorchSharp.Interop;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Makes a second <c>backward</c> through one of the library's functions without
/// <c>retain_graph</c> raise, as it does through LibTorch's own ops. A TorchSharp custom function
/// keeps what its forward saved until the graph itself is freed (its node has no release hook), so a
/// second backward would run it again and add the same gradient twice.
/// <para>
/// The guard is one extra 0-dim input to the function: the first element of a differentiable input
/// times a constant 1. LibTorch's multiplication saves that constant and frees it after a backward
/// without retain_graph; a second backward then stops at it with LibTorch's own error ("Trying to
/// backward through the graph a second time"), before any gradient reaches a leaf. It costs two
/// views and one scalar multiply per call; backward gives it no gradient.
/// </para>
/// </summary>
internal static class BackwardGuard
{
    /// <summary>The guard for a call whose inputs are <paramref name="inputs"/>; null when autograd does not record it.</summary>
    public static Tensor? For(params Tensor[] inputs)
    {
        var source = torch.is_grad_enabled() ? inputs.FirstOrDefault(t => t.requires_grad) : null;
        if (source is null)
        {
            return null;
        }

        // The views and the constant go with the scope; the guard itself moves out of it.
        using var scope = torch.NewDisposeScope();
        var element = source;
        while (element.dim() > 0)
        {
            element = element.select(0, 0);
        }

        return element.mul(torch.ones([], element.dtype, element.device)).MoveToOuterDisposeScope();
    }
}
