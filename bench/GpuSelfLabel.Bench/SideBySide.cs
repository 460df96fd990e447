using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Bench;

/// <summary>
/// The GpuSelfLabel side of bench/side-by-side.sh: the same four workloads as bench/pytorch/*.py on
/// the same .npy inputs, timed the same way (at least one warm-up run and one second of them, then the median of timed runs; uploading
/// the inputs and downloading the outputs are outside the clock on both sides), through the public
/// API a user calls, argument validation included. Writes WORKLOAD.NAME.npy outputs and
/// WORKLOAD.json timings next to each other, named as the PyTorch scripts name theirs.
/// </summary>
internal static class SideBySide
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const double WarmupSeconds = 1.0;

    private static double loadBefore = double.NaN;

    public static int Run(string[] args)
    {
        string inputs = Option(args, "--inputs") ?? throw new ArgumentException("--inputs DIR is required");
        string output = Option(args, "--out") ?? throw new ArgumentException("--out DIR is required");
        int repeat = int.Parse(Option(args, "--repeat") ?? "5", CultureInfo.InvariantCulture);
        int warmup = int.Parse(Option(args, "--warmup") ?? "1", CultureInfo.InvariantCulture);
        var only = Option(args, "--workloads")?.Split(',') ?? ["softmax", "collision_ce", "sela_sinkhorn", "swav_sinkhorn"];
        var backend = BackendRegistry.Open(Option(args, "--backend") ?? "cpu");
        Directory.CreateDirectory(output);

        Tensor Load(string name)
        {
            var (values, shape) = NpyFile.ReadFloats(Path.Combine(inputs, name + ".npy"));
            return backend.FromArray(values, shape);
        }

        void Save(string workload, double[] seconds, Dictionary<string, object> outputs, Dictionary<string, object>? extra = null)
        {
            foreach (var (name, value) in outputs)
            {
                string path = Path.Combine(output, $"{workload}.{name}.npy");
                switch (value)
                {
                    case Tensor t:
                        NpyFile.Write(path, t.ToArray(), [.. t.Shape]);
                        break;
                    case long[] labels:
                        NpyFile.Write(path, labels, labels.LongLength);
                        break;
                    case double scalar:
                        NpyFile.Write(path, [(float)scalar]);
                        break;
                    default:
                        throw new InvalidOperationException($"cannot save {value.GetType()}");
                }
            }

            var record = new Dictionary<string, object>
            {
                ["workload"] = workload,
                ["median_s"] = Median(seconds),
                ["min_s"] = seconds[0],
                ["times_s"] = seconds,
                ["threads"] = Environment.ProcessorCount,
                ["backend"] = backend.Name,
                ["device"] = backend.DeviceName,
                ["load_before"] = loadBefore,
            };
            foreach (var (key, value) in extra ?? [])
            {
                record[key] = value;
            }

            File.WriteAllText(Path.Combine(output, workload + ".json"), JsonSerializer.Serialize(record, Indented));
            Console.WriteLine($"gsl {workload}: median {Median(seconds):F4} s over {seconds.Length} runs ({Environment.ProcessorCount} threads, {backend.Name})");
        }

        if (only.Contains("softmax"))
        {
            using var z = Load("z");
            using var g = Load("g");
            (Tensor Probs, Tensor DLogits)? last = null;
            var seconds = Measure(warmup, repeat, () =>
            {
                if (last is { } previous)
                {
                    previous.Probs.Dispose();
                    previous.DLogits.Dispose();
                }

                var probs = Softmax.Forward(z);
                last = (probs, Softmax.Backward(probs, g));
            });
            Save("softmax", seconds, new() { ["probs"] = last!.Value.Probs, ["dlogits"] = last.Value.DLogits });
            last.Value.Probs.Dispose();
            last.Value.DLogits.Dispose();
        }

        if (only.Contains("collision_ce"))
        {
            using var z = Load("z");
            using var y = Load("y");
            CollisionCrossEntropyResult? last = null;
            var seconds = Measure(warmup, repeat, () =>
            {
                last?.Dispose();
                last = CollisionCrossEntropy.Compute(z, y);
            });
            Save("collision_ce", seconds, new() { ["loss"] = last!.Loss, ["dlogits"] = last.DLogits, ["dtargets"] = last.DTargets });
            last.Dispose();
        }

        if (only.Contains("sela_sinkhorn"))
        {
            using var z = Load("z");
            var options = new SinkhornOptions(Lambda: 25, Tolerance: 1e-12, CheckEvery: 10, MaxIterations: 30);
            SinkhornResult? last = null;
            var seconds = Measure(warmup, repeat, () =>
            {
                last?.Dispose();
                last = Sinkhorn.SeLa(z, options);
            });
            Save("sela_sinkhorn", seconds,
                new() { ["labels"] = last!.Labels, ["logr"] = last.LogR, ["logc"] = last.LogC },
                new() { ["iterations"] = last.Iterations[0] });
            last.Dispose();
        }

        if (only.Contains("swav_sinkhorn"))
        {
            using var s = Load("s");
            var options = new SwavOptions(Epsilon: 0.05, Iterations: 3);
            Tensor? last = null;
            var seconds = Measure(warmup, repeat, () =>
            {
                last?.Dispose();
                last = Sinkhorn.Swav(s, options);
            });
            Save("swav_sinkhorn", seconds, new() { ["codes"] = last! });
            last!.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// At least <paramref name="warmup"/> untimed runs and at least one second of them (.NET compiles
    /// hot methods fully only after they have run a while; PyTorch's side uses the same rule), then the timed runs.
    /// </summary>
    private static double[] Measure(int warmup, int repeat, Action run)
    {
        loadBefore = LoadAverage();
        long warmupStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < WarmupSeconds; i++)
        {
            run();
        }

        var seconds = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            GC.Collect();
            long start = Stopwatch.GetTimestamp();
            run();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds;
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]);

    /// <summary>The 1-minute load average (Linux), so a report can say how busy the machine was; NaN elsewhere.</summary>
    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
