namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    // The GPU passes do not screen their inputs (that would need a flag read back after every launch):
    // the callers' own checks stay in force.
    bool IBackendKernels.SoftmaxForward(Tensor logits, Tensor output, float temperature, bool logarithm)
    {
        LaunchSoftmaxForward(logits, output, temperature, logarithm);
        return false;
    }

    bool IBackendKernels.SoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature, bool logarithm)
    {
        LaunchSoftmaxBackward(probs, grad, dlogits, temperature, logarithm);
        return false;
    }

    private void LaunchSoftmaxForward(Tensor logits, Tensor output, float temperature, bool logarithm)
    {
        var kernel = Kernel("softmax.cu", "softmax_forward_rows");
        long rows = logits.Rows;
        long cols = logits.Columns;
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, cols), new KernelArguments()
            .Buffer(logits).Buffer(output).Index(rows).Index(cols).Float(1f / temperature).Int(logarithm ? 1 : 0));
    }

    private void LaunchSoftmaxBackward(Tensor probs, Tensor grad, Tensor dlogits, float temperature, bool logarithm)
    {
        var kernel = Kernel("softmax.cu", "softmax_backward_rows");
        long rows = probs.Rows;
        long cols = probs.Columns;
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, cols), new KernelArguments()
            .Buffer(probs).Buffer(grad).Buffer(dlogits).Index(rows).Index(cols).Float(1f / temperature).Int(logarithm ? 1 : 0));
    }
}
