using System.Diagnostics;
using GpuSelfLabel;
using GpuSelfLabel.TorchSharp;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

/// <summary>
/// What the TorchSharp layer adds to the library's fused collision cross-entropy pass at one size.
/// The baseline is the core library alone on the same memory: validate, allocate fresh outputs, run the
/// fused pass (<see cref="CollisionCrossEntropy.ComputeInto"/>, no ∂L/∂y). The public function is timed
/// three ways, because what autograd does with the returned gradient depends on where it goes:
/// <list type="bullet">
/// <item>to the layer below (logits made by a network, the training case): <c>torch.autograd.grad</c>
/// hands the gradient over as it is; everything beyond the baseline is the interop's own cost;</item>
/// <item>into a leaf's zeroed <c>.grad</c>: autograd adds it in place (one pass, any op pays it);</item>
/// <item>into a leaf whose <c>.grad</c> is None: autograd copies it, because a gradient returned
/// through TorchSharp's custom functions is always still referenced by the function's managed
/// handles and cannot be stolen (one allocation and copy, also paid by composed TorchSharp ops
/// whose gradient tensor is shared).</item>
/// </list>
/// </summary>
internal static class InteropOverhead
{
    /// <summary>Best seconds of each variant, and the median over rounds of the to-layer run against the core run of the same round.</summary>
    public sealed record Result(double Core, double ToLayer, double IntoZeroedGrad, double IntoNoneGrad, double ToLayerPairedPercent, int Rounds)
    {
        public double Percent(double viaPublic) => 100 * (viaPublic - Core) / Core;
    }

    public static Result Measure(Tensor logits, Tensor targets, int repeat)
    {
        var leaf = logits.detach().clone().requires_grad_(true);
        var inputs = new List<Tensor> { leaf };
        using var zv = Wrap(leaf);
        using var yv = Wrap(targets);
        var cpu = GpuSelfLabel.Backends.Backend.Cpu;
        Action[] variants =
        [
            () =>
            {
                using var losses = cpu.Allocate(DType.Float32, zv.Rows);
                using var dlogits = cpu.Allocate(DType.Float32, zv.Rows, zv.Columns);
                CollisionCrossEntropy.ComputeInto(zv, yv, losses, dlogits, dtargets: null);
            },
            () =>
            {
                using var loss = GslFunctional.collision_cross_entropy(leaf, targets);
                foreach (var g in torch.autograd.grad([loss], inputs))
                {
                    g.Dispose();
                }
            },
            () =>
            {
                leaf.grad?.zero_();
                using var loss = GslFunctional.collision_cross_entropy(leaf, targets);
                loss.backward();
            },
            () =>
            {
                leaf.grad?.Dispose();
                leaf.grad = null;
                using var loss = GslFunctional.collision_cross_entropy(leaf, targets);
                loss.backward();
            },
        ];

        // Round robin, best of each: the variants meet the same machine, and the best run is the one
        // least disturbed by anything else on it (a shared 2-core machine here).
        var best = new double[variants.Length];
        Array.Fill(best, double.PositiveInfinity);
        // Paired too: the to-layer run against the core run just before it, so that a slow stretch of the
        // machine moves both; the median of those ratios is the overhead least moved by other jobs.
        var paired = new List<double>();
        var thisRound = new double[variants.Length];
        for (int round = -1; round < repeat; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                // Earlier runs' managed handles collected first, so their LibTorch memory is back with the allocator.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var watch = Stopwatch.StartNew();
                variants[v]();
                double seconds = watch.Elapsed.TotalSeconds;
                if (round >= 0)
                {
                    best[v] = Math.Min(best[v], seconds);
                    thisRound[v] = seconds;
                }
            }

            if (round >= 0)
            {
                paired.Add(100 * (thisRound[1] - thisRound[0]) / thisRound[0]);
            }
        }

        leaf.grad?.Dispose();
        leaf.Dispose();
        paired.Sort();
        double median = paired.Count % 2 == 1 ? paired[paired.Count / 2] : (paired[(paired.Count / 2) - 1] + paired[paired.Count / 2]) / 2;
        return new Result(best[0], best[1], best[2], best[3], median, paired.Count);
    }

    private static GpuSelfLabel.Tensor Wrap(Tensor tensor) =>
        GpuSelfLabel.Backends.Backend.Cpu.Wrap(tensor.storage<float>().data_ptr() + (nint)(tensor.storage_offset() * 4), DType.Float32, tensor.shape);
}
