namespace GpuSelfLabel;

/// <summary>How the N×K score matrix of a <see cref="SinkhornProblem"/> reaches the solving backend.</summary>
public enum SinkhornSourceKind
{
    /// <summary>The matrix is in the solving backend's memory and is read in place, chunk by chunk.</summary>
    Resident,
    /// <summary>The matrix is in host memory (RAM or a memory-mapped file) and is copied to the device one chunk at a time.</summary>
    Streamed,
    /// <summary>Only features (N×D) and a classifier (D×K, bias K) exist: each chunk of scores is recomputed with a matrix product.</summary>
    Features,
}
