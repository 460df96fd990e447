using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.OpenCl;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>Caller-made cl_mem handles: a buffer and a sub-buffer of it are the same memory to the overlap check.</summary>
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

        // Past the end of the first 32 rows the sub-buffer is separate memory again.
        using var tail = ((OpenClBuffer)owner.Buffer).SubBuffer(32L * columns * sizeof(float));
        using var disjoint = backend.Wrap(tail.DangerousGetHandle(), DType.Float32, [8, columns]);
        using var head = backend.Wrap(owner.Buffer.Handle, DType.Float32, [8, columns]);
        backend.CopyFromHost(new float[8 * columns], head);
        Softmax.ForwardInto(head, disjoint);
        Assert.All(disjoint.ToArray(), v => Assert.Equal(1f / columns, v, 1e-6f));
    }
}
