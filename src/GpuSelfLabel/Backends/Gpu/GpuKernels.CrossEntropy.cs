namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    // The kernel always writes ∂L/∂y: a flag read per entry would cost every caller, and the facade
    // hands in scratch when the gradient is not wanted.
    bool IBackendKernels.SkipsUnwantedTargetGradient => false;

    void IBackendKernels.CollisionCrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor? dtargets) =>
        LaunchCollisionCrossEntropy(logits, targets, losses, dlogits, dtargets ?? throw new ArgumentNullException(nameof(dtargets)));

    void IBackendKernels.CrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits) =>
        LaunchCrossEntropy(logits, targets, losses, dlogits);

    private void LaunchCollisionCrossEntropy(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor dtargets)
    {
        var kernel = Kernel("collision_ce.cu", "collision_ce_rows");
        long rows = logits.Rows;
        long cols = logits.Columns;
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, cols), new KernelArguments()
            .Buffer(logits).Buffer(targets).Buffer(losses).Buffer(dlogits).Buffer(dtargets)
            .Index(rows).Index(cols).Double(1.0 / rows));
    }

    private void LaunchCrossEntropy(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits)
    {
        var kernel = Kernel("collision_ce.cu", "cross_entropy_rows");
        long rows = logits.Rows;
        long cols = logits.Columns;
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, cols), new KernelArguments()
            .Buffer(logits).Buffer(targets).Buffer(losses).Buffer(dlogits)
            .Index(rows).Index(cols).Double(1.0 / rows));
    }
}
