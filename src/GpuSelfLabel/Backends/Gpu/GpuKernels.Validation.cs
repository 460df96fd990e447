using System.Runtime.InteropServices;

namespace GpuSelfLabel.Backends.Gpu;

internal abstract partial class GpuKernels
{
    long IBackendKernels.FindInvalidRow(Tensor tensor, RowCheck check, out string problem) =>
        RowValidation.Find(Device, tensor, check, first => LaunchValidateRows(tensor, check, first), out problem);

    /// <summary>The first row at or after <paramref name="firstRow"/> that validate_rows flags, or −1.</summary>
    private long LaunchValidateRows(Tensor tensor, RowCheck check, long firstRow)
    {
        var kernel = Kernel("validation.cu", "validate_rows");
        long rows = tensor.Rows;
        long cols = tensor.Columns;
        int groupSize = RowGroupSize(kernel, cols);
        int groups = ScanGroups(rows - firstRow);
        using var firstBad = Device.AllocateBuffer(groups * sizeof(long));
        Launch(kernel, groups, groupSize, new KernelArguments()
            .Buffer(tensor).Index(rows).Index(cols).Index(firstRow).Int(RowValidation.KernelCode(check))
            .Float(RowValidation.SumTolerance(cols, groupSize)).Buffer(firstBad).Int(SinkhornLaunches.StorageCode(tensor)));
        var found = new long[groups];
        Device.Download(firstBad, 0, MemoryMarshal.AsBytes(found.AsSpan()));
        return RowValidation.FirstFlagged(found);
    }
}
