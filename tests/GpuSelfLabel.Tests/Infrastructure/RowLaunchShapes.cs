namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// (N, K) pairs around every boundary of the kernels that run one group per row (softmax, the
/// cross-entropies): rows that do not fill a group, K = 2, K at and around group sizes, K larger than
/// one group (3000, 10000), one row, more rows than groups. Shared by their cross-backend tests.
/// </summary>
public static class RowLaunchShapes
{
    public static TheoryData<int, int> Edges() => new()
    {
        { 1, 2 }, { 7, 2 }, { 257, 3 }, { 33, 10 }, { 2, 31 }, { 2, 32 }, { 2, 33 }, { 5, 255 }, { 5, 256 },
        { 5, 257 }, { 4, 513 }, { 3, 3000 }, { 1, 10000 }, { 2, 10000 }, { 1000, 33 },
    };
}
