namespace GpuSelfLabel.Backends;

internal partial interface IBackendKernels
{
    /// <summary>
    /// The memory-bandwidth reference of <c>gsl bench</c>: copies every element of the float32
    /// <paramref name="source"/> into <paramref name="destination"/> (same element count, any shape,
    /// no overlap). Reads source once and writes destination once, nothing else: 8 bytes per element.
    /// </summary>
    void Copy(Tensor source, Tensor destination);
}
