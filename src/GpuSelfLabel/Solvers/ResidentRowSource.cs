namespace GpuSelfLabel.Solvers;

/// <summary>Logits already on the solving backend: chunks are views, nothing is copied.</summary>
internal sealed class ResidentRowSource(Tensor logits) : ISinkhornRowSource
{
    public Tensor Rows(int head, long firstRow, long count) =>
        TensorViews.Rows(logits.Rank == 3 ? TensorViews.Slice(logits, head) : logits, firstRow, count);

    public void Dispose()
    {
    }
}
