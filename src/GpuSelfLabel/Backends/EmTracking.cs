namespace GpuSelfLabel.Backends;

/// <summary>
/// What <see cref="IBackendKernels.EmTrackedStep"/> needs to keep the EM driver's books on the device:
/// the prior u (K float64), λ, the stopping tolerance, the step's iteration number, and the track vector
/// (float64, 1 + 2·slots: track[0] the status, 0 until the step of iteration t converged, then t + 1;
/// then (F, largest change) per slot, slot = iteration mod slots), which the driver reads once per
/// slots iterations.
/// </summary>
internal sealed record EmTracking(Tensor Prior, double Lambda, double Tolerance, int Iteration, Tensor Track)
{
    /// <summary>Iterations the track vector holds before the driver must read it.</summary>
    public int Slots => checked((int)((Track.Length - 1) / 2));
}
