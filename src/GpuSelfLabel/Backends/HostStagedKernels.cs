namespace GpuSelfLabel.Backends;

/// <summary>
/// The operation families a GPU backend has no kernel file for yet, run through
/// <see cref="HostStaging"/>: inputs are copied to the host, the CPU kernel runs, outputs are copied
/// back. Results are exactly the CPU backend's; only the speed is not a GPU's. A backend that gains
/// a kernel for a method implements that interface method explicitly, which takes precedence over
/// the public method here; once every GPU backend has it, the method is deleted from this class.
/// </summary>
// The methods implement IBackendKernels members in the derived backends, so they cannot be static.
#pragma warning disable CA1822
internal abstract class HostStagedKernels
{
    public void SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierRowStatistics(s.In(logits), s.Workspace(workspace));
        s.Commit();
    }

    public void SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierColumnStatistics(s.In(logits), s.Workspace(workspace));
        s.Commit();
    }

    public double SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        double loss = HostStaging.Cpu.SelfClassifierLoss(s.In(logits), s.Workspace(workspace));
        s.Commit();
        return loss;
    }

    public void SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierGradient(s.In(logits), s.Workspace(workspace), s.Out(dlogits));
        s.Commit();
    }
}
#pragma warning restore CA1822
