using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// Logits on one side of the host–device boundary, solved on the other: each chunk is copied into one
/// staging buffer of chunk-rows × K on the solving backend. Host memory may be a memory-mapped file,
/// which the operating system pages in as the copies read it.
/// </summary>
internal sealed class StreamedRowSource : ISinkhornRowSource
{
    private readonly Tensor logits;
    private readonly Tensor staging;

    public StreamedRowSource(Tensor logits, Backend backend, long chunkRows)
    {
        this.logits = logits;
        staging = backend.Allocate(logits.DType, chunkRows, logits.Columns);
    }

    public unsafe Tensor Rows(int head, long firstRow, long count)
    {
        var source = TensorViews.Rows(logits.Rank == 3 ? TensorViews.Slice(logits, head) : logits, firstRow, count);
        int bytes = checked((int)source.SizeInBytes);
        if (source.Backend.HostAddressable)
        {
            var host = new ReadOnlySpan<byte>((byte*)(source.Buffer.Handle + (nint)source.ByteOffset), bytes);
            staging.Backend.Upload(staging.Buffer, staging.ByteOffset, host);
        }
        else
        {
            var host = new Span<byte>((byte*)(staging.Buffer.Handle + (nint)staging.ByteOffset), bytes);
            source.Backend.Download(source.Buffer, source.ByteOffset, host);
        }

        return TensorViews.Rows(staging, 0, count);
    }

    public void Dispose() => staging.Dispose();
}
