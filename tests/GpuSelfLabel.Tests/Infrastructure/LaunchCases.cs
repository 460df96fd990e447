namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Launch cases the GPU families' cross-backend tests share.</summary>
public static class LaunchCases
{
    /// <summary>
    /// (N, K) pairs around every boundary of the kernels that run one group per row (softmax, the
    /// cross-entropies): rows that do not fill a group, K = 2, K at and around group sizes, K larger
    /// than one group (3000, 10000), one row, more rows than groups.
    /// </summary>
    public static TheoryData<int, int> RowEdges() => new()
    {
        { 1, 2 }, { 7, 2 }, { 257, 3 }, { 33, 10 }, { 2, 31 }, { 2, 32 }, { 2, 33 }, { 5, 255 }, { 5, 256 },
        { 5, 257 }, { 4, 513 }, { 3, 3000 }, { 1, 10000 }, { 2, 10000 }, { 1000, 33 },
    };

    /// <summary>
    /// (group size, group cap) overrides: single work-item groups (the tree reductions on CUDA too),
    /// sizes below, at and above a warp, the largest group, and a grid stride over few groups.
    /// </summary>
    public static TheoryData<int?, long?> Overrides() => new()
    {
        { 1, null }, { 2, null }, { 16, null }, { 32, null }, { 64, 5L }, { 256, null }, { null, 3L },
    };
}
