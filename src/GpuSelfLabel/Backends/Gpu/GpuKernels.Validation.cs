using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    long IBackendKernels.FindInvalidRow(Tensor tensor, RowCheck check, Tensor scratch, out string problem) =>
        RowValidation.Find(Device, tensor, check, first => LaunchValidateRows(tensor, check, first, scratch), out problem);

    /// <summary>
    /// The first row at or after <paramref name="firstRow"/> that validate_rows flags, or −1. Each group
    /// writes its first flagged row (int64) into the caller's scratch, so a rescan after a false alarm
    /// allocates nothing.
    /// </summary>
    private long LaunchValidateRows(Tensor tensor, RowCheck check, long firstRow, Tensor scratch)
    {
        var kernel = Kernel("validation.cu", "validate_rows");
        long rows = tensor.Rows;
        long cols = tensor.Columns;
        int groupSize = RowGroupSize(kernel, cols);
        int groups = ScanGroups(rows - firstRow);
        var firstBad = Part(scratch, 0, groups);
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(tensor).Index(rows).Index(cols).Index(firstRow).Int(RowValidation.KernelCode(check))
            .Float(RowValidation.SumTolerance(cols, groupSize)).Buffer(firstBad).Int(SinkhornLaunches.StorageCode(tensor)));
        var found = new long[groups];
        DownloadPart(firstBad, MemoryMarshal.AsBytes(found.AsSpan()));
        return RowValidation.FirstFlagged(found);
    }
}
