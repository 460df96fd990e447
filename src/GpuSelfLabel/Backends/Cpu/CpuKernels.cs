namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The CPU implementation of <see cref="IBackendKernels"/>, one partial file per operation family
/// (<c>CpuKernels.Softmax.cs</c> …). Within a row the work is SIMD (TensorPrimitives); rows are
/// spread over cores in fixed blocks so that results never depend on the thread count.
/// </summary>
internal sealed partial class CpuKernels : IBackendKernels
{
}
