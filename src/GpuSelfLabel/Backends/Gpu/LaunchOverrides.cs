namespace GpuSelfLabel.Backends.Gpu;

/// <summary>
/// Launch-shape choices a test can force on a private GPU backend instance, so that every code path
/// of a kernel runs on small data: group sizes below a warp (the portable reduction tree on CUDA),
/// one work-item per group, or fewer groups than rows (the grid-stride loop over rows).
/// </summary>
/// <param name="GroupSize">Work-items per group for row kernels (a power of two), instead of the launcher's choice.</param>
/// <param name="MaxGroups">The most groups a launch may use, instead of <see cref="LaunchShape.MaxGroups"/>.</param>
internal sealed record LaunchOverrides(int? GroupSize = null, long? MaxGroups = null)
{
    /// <summary>No overrides: the launchers choose.</summary>
    public static LaunchOverrides None { get; } = new();
}
