using GpuSelfLabel.TorchSharp.Interop;

namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The memory rules of the interop: the library works on the tensor's own storage (views with a
/// storage offset included) and writes its outputs into TorchSharp tensors; copies happen only for
/// strided views and float64, as documented.
/// </summary>
public sealed class InteropTests
{
    [Fact]
    public void A_float32_contiguous_tensor_is_read_from_its_own_storage()
    {
        var tensor = torch.randn(8, 5);
        using var input = TorchInput.Of(tensor, Backends.Backend.Cpu);
        Assert.False(input.Copied);
        Assert.Equal(StoragePointer(tensor), input.View.Buffer.Handle + (nint)input.View.ByteOffset);

        // Same memory: a write through TorchSharp is what the library sees.
        tensor[3, 2] = torch.tensor(42f);
        Assert.Equal(42f, input.View.ToArray()[(3 * 5) + 2]);
    }

    [Fact]
    public void A_row_slice_is_read_at_its_storage_offset_without_a_copy()
    {
        var whole = torch.randn(40, 7);
        var slice = whole.narrow(0, 10, 20);
        Assert.True(slice.is_contiguous());
        Assert.Equal(70, slice.storage_offset());
        using var input = TorchInput.Of(slice, Backends.Backend.Cpu);
        Assert.False(input.Copied);
        Assert.Equal(StoragePointer(whole) + (70 * sizeof(float)), input.View.Buffer.Handle + (nint)input.View.ByteOffset);
        Assert.Equal(slice.data<float>().ToArray(), input.View.ToArray());
    }

    [Fact]
    public void Strided_and_float64_tensors_are_copied_once_into_float32()
    {
        var transposed = torch.randn(6, 9).t();
        using (var input = TorchInput.Of(transposed, Backends.Backend.Cpu))
        {
            Assert.True(input.Copied);
            Assert.Equal(transposed.contiguous().data<float>().ToArray(), input.View.ToArray());
        }

        var wide = torch.randn(4, 3, torch.ScalarType.Float64);
        using (var input = TorchInput.Of(wide, Backends.Backend.Cpu))
        {
            Assert.True(input.Copied);
            Assert.Equal(wide.to(torch.ScalarType.Float32).data<float>().ToArray(), input.View.ToArray());
        }
    }

    [Fact]
    public void Outputs_are_written_into_torchsharp_memory()
    {
        var output = TorchMemory.Empty(torch.zeros(1), 3, 4);
        using var view = TorchMemory.View(output, Backends.Backend.Cpu);
        Assert.Equal(StoragePointer(output), view.Buffer.Handle);
        var logits = torch.randn(3, 4);
        using var input = TorchInput.Of(logits, Backends.Backend.Cpu);
        GpuSelfLabel.Softmax.ForwardInto(input.View, view);
        Torch64.Close(torch.softmax(logits.to(torch.ScalarType.Float64), 1), output);
    }

    [Fact]
    public void The_gradient_of_a_mean_loss_is_the_tensor_the_fused_pass_wrote()
    {
        // loss.backward() passes 1: the saved gradient goes to autograd as it is, with no pass over it.
        var z = torch.randn(16, 5, requires_grad: true);
        var y = torch.softmax(torch.randn(16, 5), 1);
        var loss = GslFunctional.collision_cross_entropy(z, y);
        loss.backward();
        var q = torch.softmax(z.detach() + torch.log(y), 1);
        Torch64.Close((torch.softmax(z.detach(), 1) - q) / 16, z.grad!);
    }

    [Fact]
    public void A_cuda_tensor_without_a_usable_cuda_backend_is_a_clear_error()
    {
        // No CUDA build of LibTorch exists here, so the mapping is checked without a CUDA tensor.
        var error = Record.Exception(() => TorchBackends.For(DeviceType.CUDA, 0, "logits"));
        if (error is null)
        {
            return; // A machine with a GPU and a driver: the backend opened.
        }

        var argument = Assert.IsType<GslArgumentException>(error);
        Assert.Equal("logits", argument.Argument);
        Assert.Contains("CUDA tensor (cuda:0)", argument.Message, StringComparison.Ordinal);
        Assert.Contains("cannot run here", argument.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_core_library_does_not_reference_torchsharp()
    {
        var references = typeof(GpuSelfLabel.Softmax).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.DoesNotContain(references, name => name!.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Torchsharp_is_loaded_and_says_how()
    {
        TorchSharpLoader.EnsureLoaded();
        Assert.NotNull(TorchSharpLoader.Outcome);
        Assert.Equal(6f, torch.ones(2, 3).sum().item<float>());
    }

    private static nint StoragePointer(Tensor tensor) => tensor.storage<float>().data_ptr();
}
