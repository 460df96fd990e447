using GpuSelfLabel.Backends.Cpu;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Kernels.Ilgpu.Tests;

/// <summary>The argument packer for ILGPU's PTX: the layout it writes, and refusal when a launcher and a kernel disagree.</summary>
public sealed class IlgpuArgumentsTests
{
    private static readonly IlgpuParameter[] SoftmaxForward =
    [
        new(IlgpuParameterKind.View, 4), new(IlgpuParameterKind.View, 4), new(IlgpuParameterKind.B64, 0),
        new(IlgpuParameterKind.B64, 0), new(IlgpuParameterKind.F32, 0), new(IlgpuParameterKind.B32, 0),
    ];

    [Fact]
    public void Views_take_two_slots_pointer_then_length_and_scalars_one()
    {
        using var z = CpuBackend.Instance.Allocate(DType.Float32, 3, 5);
        var arguments = new KernelArguments().Buffer(z).Buffer(z.Buffer, 8).Index(3).Index(5).Float(0.5f).Int(1);
        var words = new ulong[IlgpuArguments.Words(SoftmaxForward)];
        var starts = new int[SoftmaxForward.Length];
        IlgpuArguments.Pack("softmax_forward_rows", SoftmaxForward, arguments, item => 0x1000UL + (ulong)item.Value, words, starts);
        Assert.Equal([0, 2, 4, 5, 6, 7], starts);
        Assert.Equal(8, words.Length);
        Assert.Equal(0x1000UL, words[0]);
        Assert.Equal(15UL, words[1]);
        Assert.Equal(0x1008UL, words[2]);
        Assert.Equal(13UL, words[3]); // 60 bytes less the 8-byte offset, in floats
        Assert.Equal(3UL, words[4]);
        Assert.Equal(5UL, words[5]);
        Assert.Equal((ulong)BitConverter.SingleToUInt32Bits(0.5f), words[6]);
        Assert.Equal(1UL, words[7]);
    }

    [Fact]
    public void A_launcher_whose_arguments_disagree_with_the_kernel_is_refused_before_the_launch()
    {
        using var z = CpuBackend.Instance.Allocate(DType.Float32, 3, 5);
        var words = new ulong[16];
        var starts = new int[8];
        var swapped = new KernelArguments().Buffer(z).Buffer(z).Index(3).Index(5).Int(1).Float(0.5f);
        var error = Assert.Throws<InvalidOperationException>(() =>
            IlgpuArguments.Pack("softmax_forward_rows", SoftmaxForward, swapped, _ => 0, words, starts));
        Assert.Contains("argument 4", error.Message, StringComparison.Ordinal);
        var missing = new KernelArguments().Buffer(z).Buffer(z).Index(3).Index(5).Float(0.5f);
        error = Assert.Throws<InvalidOperationException>(() =>
            IlgpuArguments.Pack("softmax_forward_rows", SoftmaxForward, missing, _ => 0, words, starts));
        Assert.Contains("5 arguments", error.Message, StringComparison.Ordinal);
    }
}
