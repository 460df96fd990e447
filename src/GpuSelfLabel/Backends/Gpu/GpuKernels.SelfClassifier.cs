using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    void IBackendKernels.SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace) =>
        LaunchSelfClassifierRowStatistics(logits, workspace);

    void IBackendKernels.SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace) =>
        LaunchSelfClassifierColumnStatistics(logits, workspace);

    double IBackendKernels.SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace) =>
        LaunchSelfClassifierLoss(logits, workspace);

    void IBackendKernels.SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits) =>
        LaunchSelfClassifierGradient(logits, workspace, dlogits);

    private void LaunchSelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        var kernel = Kernel(SelfClassifierLaunch.File, "self_classifier_row_statistics");
        long rows = workspace.Views * workspace.Samples;
        Launch(kernel, RowGroups(rows), RowGroupSize(kernel, workspace.Classes), new KernelArguments()
            .Buffer(logits).Buffer(workspace.RowMax).Buffer(workspace.RowLogSum).Index(rows).Index(workspace.Classes)
            .Double(1.0 / workspace.TauRow));
    }

    private void LaunchSelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        var partialKernel = Kernel(SelfClassifierLaunch.File, "self_classifier_column_partials");
        var mergeKernel = Kernel(SelfClassifierLaunch.File, "self_classifier_column_merge");
        long views = workspace.Views;
        long classes = workspace.Classes;
        long blockRows = SelfClassifierLaunch.BlockRows(workspace);
        long blocks = SelfClassifierLaunch.Blocks(workspace, blockRows);
        int groupSize = RowGroupSize(partialKernel, classes);
        long tiles = (classes + groupSize - 1) / groupSize;
        var partials = Part(workspace.Partials, 0, 3 * views * blocks * classes);
        Launch(partialKernel, RowGroups(views * blocks * tiles), groupSize, new KernelArguments()
            .Buffer(logits).Buffer(workspace.RowMax).Buffer(workspace.RowLogSum).Buffer(partials)
            .Index(views).Index(workspace.Samples).Index(classes).Index(blockRows).Index(blocks)
            .Double(1.0 / workspace.TauRow).Double(1.0 / workspace.TauCol));
        int mergeSize = RowGroupSize(mergeKernel, views * classes);
        Launch(mergeKernel, RowGroups(((views * classes) + mergeSize - 1) / mergeSize), mergeSize, new KernelArguments()
            .Buffer(partials).Buffer(workspace.ColumnMax).Buffer(workspace.ColumnLogSum).Buffer(workspace.ColumnSumR)
            .Index(views).Index(classes).Index(blocks).Double(1.0 / workspace.TauCol));
    }

    private double LaunchSelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace)
    {
        var rowKernel = Kernel(SelfClassifierLaunch.File, "self_classifier_sample_rows");
        var partialKernel = Kernel(SelfClassifierLaunch.File, "self_classifier_column_hk_partials");
        var mergeKernel = Kernel(SelfClassifierLaunch.File, "self_classifier_column_hk_merge");
        long views = workspace.Views;
        long classes = workspace.Classes;

        long lossGroups = SelfClassifierLaunch.LossGroups(RowGroups(workspace.Samples));
        var lossPartials = Part(workspace.Partials, SelfClassifierLaunch.LossPartialsOffset(views, workspace.Samples, classes), lossGroups);
        Launch(rowKernel, lossGroups, RowGroupSize(rowKernel, classes), SelfClassifierLaunch.Context(logits, workspace)
            .Buffer(workspace.RowLogSumA).Buffer(workspace.RowDot).Buffer(lossPartials));

        long blockRows = SelfClassifierLaunch.BlockRows(workspace);
        long blocks = SelfClassifierLaunch.Blocks(workspace, blockRows);
        int groupSize = RowGroupSize(partialKernel, classes);
        long tiles = (classes + groupSize - 1) / groupSize;
        var partials = Part(workspace.Partials, 0, 2 * views * blocks * classes);
        Launch(partialKernel, RowGroups(blocks * tiles), groupSize, SelfClassifierLaunch.Context(logits, workspace)
            .Buffer(workspace.RowLogSumA).Buffer(workspace.RowDot).Buffer(partials).Index(blockRows).Index(blocks));
        int mergeSize = RowGroupSize(mergeKernel, views * classes);
        Launch(mergeKernel, RowGroups(((views * classes) + mergeSize - 1) / mergeSize), mergeSize, new KernelArguments()
            .Buffer(partials).Buffer(workspace.ColumnH).Buffer(workspace.ColumnK).Index(views).Index(classes).Index(blocks));

        var loss = new double[lossGroups];
        DownloadPart(lossPartials, MemoryMarshal.AsBytes(loss.AsSpan()));
        return SelfClassifierLaunch.Loss(loss, workspace);
    }

    private void LaunchSelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits)
    {
        var kernel = Kernel(SelfClassifierLaunch.File, "self_classifier_gradient_rows");
        Launch(kernel, RowGroups(workspace.Samples), RowGroupSize(kernel, workspace.Classes), SelfClassifierLaunch.Context(logits, workspace)
            .Buffer(workspace.RowLogSumA).Buffer(workspace.RowDot).Buffer(workspace.ColumnH).Buffer(workspace.ColumnK).Buffer(dlogits));
    }
}
