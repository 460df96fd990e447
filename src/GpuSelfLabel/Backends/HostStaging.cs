using System.Diagnostics.CodeAnalysis;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Backends;

/// <summary>
/// Copies device tensors into host memory for one call of a CPU kernel and copies the outputs back.
/// It is how a GPU backend runs an operation family whose kernel file is not written yet: the answer
/// is the CPU backend's exact answer, at the price of two transfers (see <see cref="HostStagedKernels"/>).
/// </summary>
internal sealed class HostStaging : IDisposable
{
    /// <summary>Transfers are cut into pieces below the 2 GiB span limit.</summary>
    private const long ChunkBytes = 1L << 30;

    private readonly List<(Tensor Device, Tensor Host)> outputs = [];
    private readonly List<Tensor> owned = [];

    public static CpuKernels Cpu => (CpuKernels)CpuBackend.Instance.Kernels;

    /// <summary>A host copy of an input (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(device))]
    public Tensor? In(Tensor? device)
    {
        if (device is null)
        {
            return null;
        }

        var host = CpuBackend.Instance.Allocate(device.DType, [.. device.Shape]);
        owned.Add(host);
        Transfer(device, host, toHost: true);
        return host;
    }

    /// <summary>A host copy of an output (or in-out) tensor, written back by <see cref="Commit"/>.</summary>
    [return: NotNullIfNotNull(nameof(device))]
    public Tensor? Out(Tensor? device)
    {
        if (device is null)
        {
            return null;
        }

        var host = In(device);
        outputs.Add((device, host));
        return host;
    }

    /// <summary>A host twin of a Self-Classifier workspace whose scratch tensors are written back.</summary>
    public SelfClassifierWorkspace Workspace(SelfClassifierWorkspace device)
    {
        var host = new SelfClassifierWorkspace(CpuBackend.Instance, device.Views, device.Samples, device.Classes, device.GlobalViews, device.TauRow, device.TauCol);
        foreach (var (d, h) in device.Scratch.Zip(host.Scratch))
        {
            Transfer(d, h, toHost: true);
            outputs.Add((d, h));
        }

        owned.AddRange(host.Scratch);
        return host;
    }

    /// <summary>Writes every output back to its device tensor.</summary>
    public void Commit()
    {
        foreach (var (device, host) in outputs)
        {
            Transfer(device, host, toHost: false);
        }
    }

    public void Dispose()
    {
        foreach (var t in owned)
        {
            t.Dispose();
        }
    }

    private static unsafe void Transfer(Tensor device, Tensor host, bool toHost)
    {
        var basePointer = (byte*)(host.Buffer.Handle + (nint)host.ByteOffset);
        for (long done = 0; done < device.SizeInBytes; done += ChunkBytes)
        {
            int length = (int)Math.Min(ChunkBytes, device.SizeInBytes - done);
            var span = new Span<byte>(basePointer + done, length);
            if (toHost)
            {
                device.Backend.Download(device.Buffer, device.ByteOffset + done, span);
            }
            else
            {
                device.Backend.Upload(device.Buffer, device.ByteOffset + done, span);
            }
        }
    }
}
