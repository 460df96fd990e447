namespace GpuSelfLabel.Backends;

/// <summary>The two scalars one EM pass (<see cref="IBackendKernels.EmStep"/>) hands back to the driver.</summary>
/// <param name="MaxChange">max_ik |y'_ik − y_ik|, the stopping test of ops.md §4.</param>
/// <param name="NegativeLogCollision">Σ_i −ln(σ_i·y'_i), N times the first term of F(Y').</param>
internal readonly record struct EmStepReport(double MaxChange, double NegativeLogCollision);
