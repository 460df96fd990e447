using System.Diagnostics;

namespace GpuSelfLabel.Benchmarking;

/// <summary>Warm-up, then timed repeats of one case; and the device wait that makes a host clock honest.</summary>
internal static class BenchmarkClock
{
    /// <summary>
    /// Runs untimed calls (JIT and tiering, kernel builds, first-touch page faults) until both
    /// <see cref="BenchmarkSettings.Warmup"/> calls and <see cref="BenchmarkSettings.WarmupSeconds"/>
    /// have passed, then <see cref="BenchmarkSettings.Repeat"/> timed ones; returns their seconds, sorted.
    /// </summary>
    public static double[] Measure(BenchmarkCase benchmarkCase, BenchmarkSettings settings)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < settings.Warmup || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < settings.WarmupSeconds; i++)
        {
            benchmarkCase.Run();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var seconds = new double[settings.Repeat];
        for (int i = 0; i < seconds.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            benchmarkCase.Run();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds;
    }

    /// <summary>The median of sorted values.</summary>
    public static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : 0.5 * (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]);

    /// <summary>
    /// Blocks until the device has finished everything queued before it: GPU launches are
    /// asynchronous, and a blocking read of one element from the last output waits for them on the
    /// backend's in-order queue or stream. On the CPU it is a copy of a few bytes.
    /// </summary>
    public static void Wait(Tensor written)
    {
        Span<byte> one = stackalloc byte[8];
        written.Backend.Download(written.Buffer, written.ByteOffset, one[..written.DType.SizeInBytes()]);
    }
}
