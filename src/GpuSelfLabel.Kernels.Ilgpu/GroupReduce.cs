using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// Work-group reductions for the ILGPU kernels, the portable tree of kernels/common/reductions.h: every
/// work-item calls them (they contain barriers) and gets the group's result; the combination order
/// depends only on the group size, so a launch is bitwise reproducible for a given size. The CUDA C
/// kernels take a warp-shuffle path on groups of whole warps instead, so the two sources may differ in
/// the last bits of a sum, never in the tree's determinism. Scratch: group-size elements in shared
/// memory, reusable as soon as a helper returns (each ends with a barrier).
/// </summary>
internal static class GroupReduce
{
    /// <summary>The shared arrays' length: the launchers' largest group (LaunchShape.MaxLocalSize).</summary>
    public const int MaxGroupSize = 256;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(ArrayView<float> scratch, float value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s)
            {
                scratch[t] += scratch[t + s];
            }

            Group.Barrier();
        }

        float result = scratch[0];
        Group.Barrier();
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(ArrayView<double> scratch, double value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s)
            {
                scratch[t] += scratch[t + s];
            }

            Group.Barrier();
        }

        double result = scratch[0];
        Group.Barrier();
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Max(ArrayView<double> scratch, double value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s)
            {
                scratch[t] = Math.Max(scratch[t], scratch[t + s]);
            }

            Group.Barrier();
        }

        double result = scratch[0];
        Group.Barrier();
        return result;
    }

    /// <summary>
    /// Sums two values over each segment of <paramref name="segment"/> work-items (a power of two that
    /// divides the group); every work-item of a segment gets its segment's sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SegmentSum2(ArrayView<double> scratchA, ArrayView<double> scratchB, ref double a, ref double b, int segment)
    {
        int t = Group.IdxX;
        int lane = t & (segment - 1);
        scratchA[t] = a;
        scratchB[t] = b;
        Group.Barrier();
        for (int s = segment / 2; s > 0; s >>= 1)
        {
            if (lane < s)
            {
                scratchA[t] += scratchA[t + s];
                scratchB[t] += scratchB[t + s];
            }

            Group.Barrier();
        }

        a = scratchA[t - lane];
        b = scratchB[t - lane];
        Group.Barrier();
    }
}
