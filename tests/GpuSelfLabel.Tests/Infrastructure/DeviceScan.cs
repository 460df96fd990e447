using GpuSelfLabel.Backends;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>
/// The scan passes (<see cref="IBackendKernels.Sum"/>, <see cref="IBackendKernels.FindInvalidRow"/>) called
/// the way a public call makes them: with a scan scratch allocated once for the call on the tensor's backend.
/// </summary>
internal static class DeviceScan
{
    /// <summary>Σ of every element of <paramref name="vector"/> on its backend.</summary>
    public static double Sum(Tensor vector)
    {
        using var scan = vector.Backend.AllocateScanScratch(vector.Length);
        return vector.Backend.Kernels.Sum(vector, scan);
    }

    /// <summary>The first row of <paramref name="tensor"/> that breaks <paramref name="check"/>, or −1, on its backend.</summary>
    public static long FindInvalidRow(Tensor tensor, RowCheck check, out string problem) =>
        Guard.FindInvalidRow(tensor, check, scratch: null, out problem);
}
