using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// ops.md section 4 (EM pseudo-labels on the simplex): the per-sample update step of kernels/em.cu in C#,
/// with the same parameters in the same order (launched by GpuKernels.PseudoLabels.cs with the row layout
/// of EmLaunchShape). σ is N × K float32, the iterate Y N × K float64, weights K float64.
/// <list type="bullet">
/// <item><c>em_step_rows(probs, current, weights, next, column_partials, group_scalars, rows, cols, rows_per_group, segment, status, gated)</c>
/// nothing when gated and status[0] ≠ 0 (an earlier step converged); else each group takes a contiguous block of rows, cut into segments of `segment` work-items, one row per
/// segment at a time. Per row: d = Σ σ y and wy = Σ w y (a segment reduction of the pair), then y' =
/// (σ y / d + w y)/(1 + wy) written to next (a row with d ≤ 0 is copied), and d' = Σ σ y'. Writes
/// column_partials[group][k] = the group's Σ y'_k and group_scalars[2g] = its Σ −ln d',
/// group_scalars[2g + 1] = its max |y' − y|. Column sums are kept per work-item in local memory (8
/// columns) when K ≤ 8·segment, else in the group's own slice of column_partials.</item>
/// <item><c>em_moments_rows(probs, labels32, labels64, labels_are_double, column_partials, group_scalars, rows, cols, rows_per_group, segment)</c>
/// the same statistics of a given Y (float32 labels32 or float64 labels64, the other unused):
/// column_partials[group][k] = the group's Σ y_k, group_scalars[2g] = its Σ −ln(σ·y), [2g + 1] = 0.</item>
/// <item><c>em_reduce_columns(column_partials, groups, cols, column_sums, status, gated)</c> adds the groups' partials
/// per column in group order (one work-item per column); nothing when gated and status[0] ≠ 0.</item>
/// <item><c>em_track(group_scalars, groups, column_sums, prior, rows, cols, lambda, tolerance, iteration, slots, weights, track)</c>
/// one group, nothing once track[0] ≠ 0: the next weights w_k = λ N u_k / s_k (0 where s_k = 0); with
/// slot = iteration mod slots, track[1 + 2 slot] = F = (Σ −ln d')/N + λ KL(u ‖ s/N) (no KL term at λ = 0),
/// track[2 + 2 slot] = the largest change (group scalars in group order), and track[0] = iteration + 1
/// once that change is below tolerance.</item>
/// <item><c>em_widen</c>, <c>em_narrow</c>, <c>em_copy_float</c>, <c>em_copy_double(source, destination, count)</c>
/// elementwise conversion (or copy) of count values between float32 and float64 (grid-stride).</item>
/// </list>
/// Every kernel of kernels/em.cu has its C# version.
/// </summary>
public static class Em
{
    private const int RegisterColumns = 8;

    /// <summary>em_step_rows of kernels/em.cu.</summary>
    public static void StepRows(ArrayView<float> probs, ArrayView<double> current, ArrayView<double> weights, ArrayView<double> next, ArrayView<double> columnPartials, ArrayView<double> groupScalars, long rows, long cols, long rowsPerGroup, int segment, ArrayView<double> status, int gated)
    {
        var scratchA = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var scratchB = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var acc = LocalMemory.Allocate<double>(RegisterColumns);
        int t = Group.IdxX;
        int lane = t & (segment - 1);
        int segments = Group.DimX / segment;
        long group = Grid.IdxX;
        long first = group * rowsPerGroup;
        long last = Math.Min(first + rowsPerGroup, rows);

        // A stopped solve takes no rows (next is left as it is; the partials it writes are not read
        // again). Not a return: the group must still meet every barrier.
        if (gated != 0 && status[0] != 0.0)
        {
            last = first;
        }

        long partial = group * cols;
        bool inRegisters = cols <= (long)segment * RegisterColumns;
        ClearColumnSums(acc, inRegisters, columnPartials, partial, cols);

        double negativeLog = 0.0;
        double maxChange = 0.0;
        for (long b = first; b < last; b += segments)
        {
            long row = b + (t / segment);
            bool active = row < last;
            long start = row * cols;
            double d = 0.0;
            double wy = 0.0;
            if (active)
            {
                for (long k = lane; k < cols; k += segment)
                {
                    double y = current[start + k];
                    d += probs[start + k] * y;
                    wy += weights[k] * y;
                }
            }

            GroupReduce.SegmentSum2(scratchA, scratchB, ref d, ref wy, segment);
            double denominator = 1.0 + wy;
            double dot = 0.0;
            if (active)
            {
                if (inRegisters)
                {
                    for (int j = 0; j < RegisterColumns; j++)
                    {
                        long k = lane + ((long)j * segment);
                        if (k < cols)
                        {
                            acc[j] += Update(probs, current, weights, next, start, k, d, denominator, ref dot, ref maxChange);
                        }
                    }
                }
                else
                {
                    for (long k = lane; k < cols; k += segment)
                    {
                        columnPartials[partial + k] += Update(probs, current, weights, next, start, k, d, denominator, ref dot, ref maxChange);
                    }
                }
            }

            double none = 0.0;
            GroupReduce.SegmentSum2(scratchA, scratchB, ref dot, ref none, segment);
            if (active && lane == 0)
            {
                negativeLog -= KernelMath.Log(dot);
            }
        }

        FinishGroup(scratchA, scratchB, acc, inRegisters, negativeLog, maxChange, columnPartials, partial, groupScalars, cols, segment);
    }

    /// <summary>em_moments_rows of kernels/em.cu.</summary>
    public static void MomentsRows(ArrayView<float> probs, ArrayView<float> labels32, ArrayView<double> labels64, int labelsAreDouble, ArrayView<double> columnPartials, ArrayView<double> groupScalars, long rows, long cols, long rowsPerGroup, int segment)
    {
        var scratchA = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var scratchB = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);
        var acc = LocalMemory.Allocate<double>(RegisterColumns);
        int t = Group.IdxX;
        int lane = t & (segment - 1);
        int segments = Group.DimX / segment;
        long group = Grid.IdxX;
        long first = group * rowsPerGroup;
        long last = Math.Min(first + rowsPerGroup, rows);
        long partial = group * cols;
        bool inRegisters = cols <= (long)segment * RegisterColumns;
        ClearColumnSums(acc, inRegisters, columnPartials, partial, cols);

        double negativeLog = 0.0;
        for (long b = first; b < last; b += segments)
        {
            long row = b + (t / segment);
            bool active = row < last;
            long start = row * cols;
            double dot = 0.0;
            if (active)
            {
                if (inRegisters)
                {
                    for (int j = 0; j < RegisterColumns; j++)
                    {
                        long k = lane + ((long)j * segment);
                        if (k < cols)
                        {
                            double y = labelsAreDouble != 0 ? labels64[start + k] : labels32[start + k];
                            dot += probs[start + k] * y;
                            acc[j] += y;
                        }
                    }
                }
                else
                {
                    for (long k = lane; k < cols; k += segment)
                    {
                        double y = labelsAreDouble != 0 ? labels64[start + k] : labels32[start + k];
                        dot += probs[start + k] * y;
                        columnPartials[partial + k] += y;
                    }
                }
            }

            double none = 0.0;
            GroupReduce.SegmentSum2(scratchA, scratchB, ref dot, ref none, segment);
            if (active && lane == 0)
            {
                negativeLog -= KernelMath.Log(dot);
            }
        }

        FinishGroup(scratchA, scratchB, acc, inRegisters, negativeLog, 0.0, columnPartials, partial, groupScalars, cols, segment);
    }

    /// <summary>em_widen of kernels/em.cu: float32 to float64.</summary>
    public static void Widen(ArrayView<float> source, ArrayView<double> destination, long count)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; i < count; i += stride)
        {
            destination[i] = source[i];
        }
    }

    /// <summary>em_narrow of kernels/em.cu: float64 to float32 (round to nearest).</summary>
    public static void Narrow(ArrayView<double> source, ArrayView<float> destination, long count)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; i < count; i += stride)
        {
            destination[i] = (float)source[i];
        }
    }

    /// <summary>em_copy_float of kernels/em.cu.</summary>
    public static void CopyFloat(ArrayView<float> source, ArrayView<float> destination, long count)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; i < count; i += stride)
        {
            destination[i] = source[i];
        }
    }

    /// <summary>em_copy_double of kernels/em.cu.</summary>
    public static void CopyDouble(ArrayView<double> source, ArrayView<double> destination, long count)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; i < count; i += stride)
        {
            destination[i] = source[i];
        }
    }

    /// <summary>em_reduce_columns of kernels/em.cu.</summary>
    public static void ReduceColumns(ArrayView<double> columnPartials, long groups, long cols, ArrayView<double> columnSums, ArrayView<double> status, int gated)
    {
        if (gated != 0 && status[0] != 0.0)
        {
            return;
        }

        long stride = (long)Grid.DimX * Group.DimX;
        for (long k = ((long)Grid.IdxX * Group.DimX) + Group.IdxX; k < cols; k += stride)
        {
            double sum = 0.0;
            for (long g = 0; g < groups; g++)
            {
                sum += columnPartials[(g * cols) + k];
            }

            columnSums[k] = sum;
        }
    }

    /// <summary>em_track of kernels/em.cu.</summary>
    public static void Track(ArrayView<double> groupScalars, long groups, ArrayView<double> columnSums, ArrayView<double> prior, long rows, long cols, double lambda, double tolerance, long iteration, long slots, ArrayView<double> weights, ArrayView<double> track)
    {
        var scratch = SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize);

        // Read by every work-item before the reduction's first barrier, written after it; a stopped
        // solve writes nothing but still meets every barrier, as in em_step_rows.
        bool live = track[0] == 0.0;
        double n = rows;
        double divergence = 0.0;
        for (long k = Group.IdxX; live && k < cols; k += Group.DimX)
        {
            double s = columnSums[k];
            double u = prior[k];
            weights[k] = s > 0.0 ? lambda * n * u / s : 0.0;
            divergence += u * KernelMath.Log(u * n / s);
        }

        divergence = GroupReduce.Sum(scratch, divergence);
        if (live && Group.IdxX == 0)
        {
            double negativeLog = 0.0;
            double maxChange = 0.0;
            for (long g = 0; g < groups; g++)
            {
                negativeLog += groupScalars[2 * g];
                maxChange = Math.Max(maxChange, groupScalars[(2 * g) + 1]);
            }

            double value = negativeLog / n;
            long slot = iteration % slots;

            // λ = 0 drops the fairness term: 0 times an infinite KL (an empty column) must not give NaN.
            track[1 + (2 * slot)] = lambda == 0.0 ? value : value + (lambda * divergence);
            track[2 + (2 * slot)] = maxChange;
            if (maxChange < tolerance)
            {
                track[0] = iteration + 1;
            }
        }
    }

    /// <summary>
    /// Zeroes this work-item's share of the group's column sums before its rows: the register cache
    /// when K fits it, else the group's row of the column partials (the work-items stride over K).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearColumnSums(ArrayView<double> acc, bool inRegisters, ArrayView<double> columnPartials, long partial, long cols)
    {
        for (int j = 0; j < RegisterColumns; j++)
        {
            acc[j] = 0.0;
        }

        if (!inRegisters)
        {
            for (long k = Group.IdxX; k < cols; k += Group.DimX)
            {
                columnPartials[partial + k] = 0.0;
            }
        }
    }

    /// <summary>One column of one row: writes y', adds σ y' to dot and raises maxChange; returns y'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Update(ArrayView<float> probs, ArrayView<double> current, ArrayView<double> weights, ArrayView<double> next, long start, long k, double d, double denominator, ref double dot, ref double maxChange)
    {
        double y = current[start + k];
        double sigma = probs[start + k];

        // σ y / d is at most 1 however small d is; y = 0 stays exactly 0. The CUDA C kernel writes the sum as
        // an fma; ILGPU's PTX backend has no fma intrinsic (Math.FusedMultiplyAdd stays an unresolved
        // extern), so here ptxas decides whether to contract it.
        double v = d > 0.0 ? ((weights[k] * y) + (sigma * y / d)) / denominator : y;
        next[start + k] = v;
        dot += sigma * v;
        maxChange = Math.Max(maxChange, Math.Abs(v - y));
        return v;
    }

    /// <summary>
    /// em_finish_group: the register columns (acc[j] holds column lane + j·segment) summed across the
    /// segments in a fixed tree and written to the group's partials, then the group's two scalars.
    /// Called by the whole group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishGroup(ArrayView<double> scratchA, ArrayView<double> scratchB, ArrayView<double> acc, bool inRegisters, double negativeLog, double maxChange, ArrayView<double> columnPartials, long partial, ArrayView<double> groupScalars, long cols, int segment)
    {
        int t = Group.IdxX;
        int lane = t & (segment - 1);
        for (int j = 0; j < RegisterColumns; j++)
        {
            double total = AcrossSegments(scratchA, acc[j], segment);
            long k = lane + ((long)j * segment);
            if (inRegisters && t < segment && k < cols)
            {
                columnPartials[partial + k] = total;
            }
        }

        // Only lane 0 of each segment holds a sum of −ln; the others hold 0.
        double zero = 0.0;
        GroupReduce.SegmentSum2(scratchA, scratchB, ref negativeLog, ref zero, Group.DimX);
        maxChange = GroupReduce.Max(scratchB, maxChange);
        if (t == 0)
        {
            groupScalars[2L * Grid.IdxX] = negativeLog;
            groupScalars[(2L * Grid.IdxX) + 1] = maxChange;
        }
    }

    /// <summary>The sum of v over the segments of the group, column by column (a fixed tree); segment 0 gets the total.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double AcrossSegments(ArrayView<double> scratch, double v, int segment)
    {
        int t = Group.IdxX;
        int q = t / segment;
        scratch[t] = v;
        Group.Barrier();
        for (int s = Group.DimX / segment / 2; s > 0; s >>= 1)
        {
            if (q < s)
            {
                scratch[t] += scratch[t + (s * segment)];
            }

            Group.Barrier();
        }

        v = scratch[t];
        Group.Barrier();
        return v;
    }
}
