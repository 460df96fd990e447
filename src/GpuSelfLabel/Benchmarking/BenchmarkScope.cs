namespace GpuSelfLabel.Benchmarking;

/// <summary>What one timed call of a benchmarked operation covers.</summary>
public enum BenchmarkScope
{
    /// <summary>The backend pass alone on preallocated outputs: no argument validation, no allocation.</summary>
    Kernel,

    /// <summary>The public library call as a user makes it: validation, allocation and every pass included.</summary>
    Operation,
}
