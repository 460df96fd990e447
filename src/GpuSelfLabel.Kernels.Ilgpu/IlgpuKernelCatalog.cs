using System.Reflection;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>One C# kernel and the CUDA C kernel it stands for (same name, same parameters in order).</summary>
/// <param name="Name">The CUDA C kernel's name: the PTX entry is renamed to it.</param>
/// <param name="Method">The static C# method ILGPU compiles (an explicitly grouped kernel).</param>
public sealed record IlgpuKernel(string Name, MethodInfo Method);

/// <summary>The kernels of one family, written to kernels/ilgpu/&lt;Family&gt;.ptx.</summary>
/// <param name="Family">The family's name, the kernels/ file without .cu (softmax, collision_ce, sinkhorn, em).</param>
/// <param name="Kernels">Its kernels in PTX order.</param>
public sealed record IlgpuFamily(string Family, IReadOnlyList<IlgpuKernel> Kernels)
{
    /// <summary>The CUDA C file whose kernels these mirror (the name launchers ask for).</summary>
    public string CudaFile => Family + ".cu";
}

/// <summary>Which C# kernels exist, by family; the PTX generator and the tests read this list.</summary>
public static class IlgpuKernelCatalog
{
    /// <summary>Every family, in a fixed order (the order the PTX is generated in).</summary>
    public static IReadOnlyList<IlgpuFamily> Families { get; } =
    [
        new("softmax", [
            Kernel("softmax_forward_rows", typeof(Softmax), nameof(Softmax.ForwardRows)),
            Kernel("softmax_backward_rows", typeof(Softmax), nameof(Softmax.BackwardRows)),
        ]),
        new("collision_ce", [
            Kernel("collision_ce_rows", typeof(CollisionCrossEntropy), nameof(CollisionCrossEntropy.CollisionRows)),
            Kernel("cross_entropy_rows", typeof(CollisionCrossEntropy), nameof(CollisionCrossEntropy.ShannonRows)),
        ]),
        new("sinkhorn", [
            Kernel("sinkhorn_row_lse", typeof(Sinkhorn), nameof(Sinkhorn.RowLogSumExp)),
            Kernel("sinkhorn_column_lse_partial", typeof(Sinkhorn), nameof(Sinkhorn.ColumnLogSumExpPartial)),
            Kernel("sinkhorn_column_lse_reduce", typeof(Sinkhorn), nameof(Sinkhorn.ColumnLogSumExpReduce)),
            Kernel("sinkhorn_sela_pass", typeof(Sinkhorn), nameof(Sinkhorn.SelaPass)),
            Kernel("sinkhorn_column_sum_reduce", typeof(Sinkhorn), nameof(Sinkhorn.ColumnSumReduce)),
            Kernel("sinkhorn_sela_log_r", typeof(Sinkhorn), nameof(Sinkhorn.SelaLogR)),
            Kernel("sinkhorn_sela_finalize", typeof(Sinkhorn), nameof(Sinkhorn.SelaFinalize)),
            Kernel("sinkhorn_exp_shifted", typeof(Sinkhorn), nameof(Sinkhorn.ExpShifted)),
            Kernel("sinkhorn_add_bias", typeof(Sinkhorn), nameof(Sinkhorn.AddBias)),
            Kernel("swav_log_codes", typeof(Sinkhorn), nameof(Sinkhorn.SwavLogCodes)),
            Kernel("swav_exp_rows", typeof(Sinkhorn), nameof(Sinkhorn.SwavExpRows)),
            Kernel("swav_column_sums_partial", typeof(Sinkhorn), nameof(Sinkhorn.SwavColumnSumsPartial)),
            Kernel("swav_row_step", typeof(Sinkhorn), nameof(Sinkhorn.SwavRowStep)),
            Kernel("swav_row_step_scale", typeof(Sinkhorn), nameof(Sinkhorn.SwavRowStepAndScale)),
            Kernel("swav_scale", typeof(Sinkhorn), nameof(Sinkhorn.SwavScale)),
            Kernel("swav_column_weights", typeof(Sinkhorn), nameof(Sinkhorn.SwavColumnWeights)),
        ]),
        new("em", [
            Kernel("em_step_rows", typeof(Em), nameof(Em.StepRows)),
            Kernel("em_moments_rows", typeof(Em), nameof(Em.MomentsRows)),
            Kernel("em_reduce_columns", typeof(Em), nameof(Em.ReduceColumns)),
            Kernel("em_track", typeof(Em), nameof(Em.Track)),
            Kernel("em_widen", typeof(Em), nameof(Em.Widen)),
            Kernel("em_narrow", typeof(Em), nameof(Em.Narrow)),
            Kernel("em_copy_float", typeof(Em), nameof(Em.CopyFloat)),
            Kernel("em_copy_double", typeof(Em), nameof(Em.CopyDouble)),
        ]),
    ];

    private static IlgpuKernel Kernel(string name, Type type, string method) =>
        new(name, type.GetMethod(method, BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException($"{type.Name}.{method} not found"));
}
