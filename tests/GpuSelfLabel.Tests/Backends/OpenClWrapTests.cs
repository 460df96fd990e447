using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.OpenCl;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>The overlap check on memory the caller made: a cl_mem and a sub-buffer of it, and views of one CPU block, are the same memory.</summary>
public sealed class OpenClWrapTests
{
    [SkippableFact]
    public void A_wrapped_sub_buffer_overlapping_a_wrapped_buffer_is_refused_as_shared_memory()
    {
        // The check compared cl_mem handles only, so rows 8.. of a buffer wrapped through a sub-buffer
        // passed as a separate destination, and softmax read what it had just written.
        Skip.IfNot(BackendRegistry.Probe("opencl").Single().Available, "opencl is not available here");
        var backend = (OpenClBackend)BackendRegistry.Open("opencl");
        const int rows = 40, columns = 32;
        long offset = Math.Max(8L * columns * sizeof(float), backend.BaseAddressAlignment);
        using var owner = backend.Allocate(DType.Float32, rows, columns);
        using var sub = ((OpenClBuffer)owner.Buffer).SubBuffer(offset);
        using var whole = backend.Wrap(owner.Buffer.Handle, DType.Float32, [32, columns]);
        using var inner = backend.Wrap(sub.DangerousGetHandle(), DType.Float32, [32, columns]);
        var e = Assert.Throws<GslArgumentException>(() => Softmax.ForwardInto(whole, inner));
        Assert.Contains("shares memory", e.Message, StringComparison.Ordinal);
        Assert.Equal("destination", Assert.Throws<GslArgumentException>(() => backend.Copy(whole, inner)).Argument);

        // Past the end of the first 32 rows the sub-buffer is separate memory again.
        using var tail = ((OpenClBuffer)owner.Buffer).SubBuffer(32L * columns * sizeof(float));
        using var disjoint = backend.Wrap(tail.DangerousGetHandle(), DType.Float32, [8, columns]);
        using var head = backend.Wrap(owner.Buffer.Handle, DType.Float32, [8, columns]);
        backend.CopyFromHost(new float[8 * columns], head);
        Softmax.ForwardInto(head, disjoint);
        Assert.All(disjoint.ToArray(), v => Assert.Equal(1f / columns, v, 1e-6f));
    }

    [Fact]
    public void Copy_refuses_overlapping_views_on_the_cpu_too()
    {
        // Backend.Copy promised "no overlap" without checking it.
        using var block = Backend.Cpu.Allocate(DType.Float32, 40, 32);
        var first = new Tensor(Backend.Cpu, block.Buffer, DType.Float32, [32, 32], 0, ownsBuffer: false);
        var shifted = new Tensor(Backend.Cpu, block.Buffer, DType.Float32, [32, 32], 8 * 32 * sizeof(float), ownsBuffer: false);
        Assert.Equal("destination", Assert.Throws<GslArgumentException>(() => Backend.Cpu.Copy(first, shifted)).Argument);
        Assert.Equal("destination", Assert.Throws<GslArgumentException>(() => Backend.Cpu.Copy(first, first)).Argument);
    }
}
