namespace GpuSelfLabel.Benchmarking;

/// <summary>How a benchmark times each case.</summary>
/// <param name="Warmup">Untimed calls first, at least this many (≥ 0).</param>
/// <param name="WarmupSeconds">
/// And at least this much time in untimed calls (≥ 0): .NET compiles a method fully optimised only
/// after it has run a while (tiered compilation), so a fixed count of one or two calls can time
/// unoptimised code; one second of calls is past that for every kernel here.
/// </param>
/// <param name="Repeat">Timed calls (≥ 1); results report their median.</param>
/// <param name="BandwidthBytes">Buffer of the bandwidth copy, well beyond the caches (default 1 GiB).</param>
public sealed record BenchmarkSettings(int Warmup = 1, double WarmupSeconds = 1.0, int Repeat = 5, long BandwidthBytes = 1L << 30)
{
    /// <summary>Throws <see cref="GslArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Warmup < 0)
        {
            throw new GslArgumentException("warmup", $"must be ≥ 0, got {Warmup}");
        }

        if (!(WarmupSeconds >= 0) || double.IsInfinity(WarmupSeconds))
        {
            throw new GslArgumentException("warmup-seconds", $"must be a finite number ≥ 0, got {WarmupSeconds}");
        }

        if (Repeat < 1)
        {
            throw new GslArgumentException("repeat", $"must be ≥ 1, got {Repeat}");
        }

        if (BandwidthBytes < sizeof(float))
        {
            throw new GslArgumentException("bandwidth-bytes", $"must be at least {sizeof(float)}, got {BandwidthBytes}");
        }
    }
}
