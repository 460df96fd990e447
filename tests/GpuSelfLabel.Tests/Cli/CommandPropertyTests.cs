using System.CommandLine;
using System.Text;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Cli.Ops;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// Generated runs of every <c>gsl</c> command (<c>op</c> with each operation, <c>cluster</c>, <c>sinkhorn</c>)
/// over small shapes, dtypes, .npy headers (valid, truncated, garbage, overflowing, negative), scalar
/// parameters (including 1e-45, 1e300, 0, −1, NaN, ∞) and output paths (new, existing file, missing
/// parent, /proc, non-empty directory). Every run must end in one of two ways: exit 0 with finite
/// outputs and at most warning lines on stderr, or exit 2 with exactly one stderr line naming the
/// argument and the scratch directory exactly as it was. Never exit 1, a stack trace, a hang or a
/// partial output set. A fixed seed and a bounded case count keep it deterministic and short.
/// </summary>
public sealed class CommandPropertyTests
{
    /// <summary>The fixed seed; GSL_PROPERTY_SEED explores others (a failure message shows the command to rerun).</summary>
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GSL_PROPERTY_SEED"), out int seed) ? seed : 20261204;

    /// <summary>Runs per command; 14 commands, so 280 runs of tiny inputs.</summary>
    private const int CasesPerCommand = 20;

    private static readonly string[] RealExtremes = ["1e-45", "1e300", "0", "-1", "NaN", "Infinity", "1e-8", "0.5", "1", "3"];

    private static readonly string[] IntegerExtremes = ["-1", "0", "1", "2", "3", "40"];

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var op in OpCatalog.All)
        {
            data.Add("op " + op.Name);
        }

        data.Add("cluster");
        data.Add("sinkhorn");
        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_run_succeeds_with_finite_outputs_or_is_one_usage_line_and_writes_nothing(string command)
    {
        var random = new Random(Seed + StableHash(command));
        int successes = 0;
        for (int i = 0; i < CasesPerCommand; i++)
        {
            using var gsl = new GslRunner();
            var args = Case(command, random, gsl.Directory, out string target);
            var before = Snapshot(gsl.Directory);
            var run = Task.Run(() => gsl.Run([.. args]));
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, $"hang: gsl {Show(args)}");
            int code = await run;
            string context = $"gsl {Show(args)} → exit {code}, stderr: {gsl.Stderr}";
            Assert.DoesNotContain("   at ", gsl.Stderr, StringComparison.Ordinal);
            var lines = gsl.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (code == 0)
            {
                Assert.All(lines, line => Assert.Contains("warning", line, StringComparison.Ordinal));
                AssertFiniteOutputs(target, context);
                successes++;
                continue;
            }

            Assert.True(code == 2, context);
            Assert.True(lines.Length == 1, context);
            Assert.Matches("(argument '[a-z-]+'|--[a-z-]+)", lines[0]);
            Assert.True(before.SequenceEqual(Snapshot(gsl.Directory)), $"{context}: the scratch directory changed");
        }

        // The generator must reach the computing paths too, not only the refusals.
        Assert.True(successes >= 1, $"only {successes} of {CasesPerCommand} generated runs of gsl {command} succeeded");
    }

    /// <summary>What a generated run gets wrong: nothing (two in five runs), or one kind of thing.</summary>
    private enum Fault
    {
        None,
        File,
        Shape,
        Parameter,
        Output,
    }

    /// <summary>
    /// The arguments of one generated run; <paramref name="target"/> is its --out. A run has at most one
    /// kind of fault, so that runs without one reach the computation.
    /// </summary>
    private static List<string> Case(string command, Random random, string directory, out string target)
    {
        var fault = (Fault)Math.Max(0, random.Next(-1, 5));
        int n = random.Next(2, 7);
        int k = random.Next(2, 6);
        var args = new List<string>(command.Split(' '));
        target = fault == Fault.Output ? OutputTarget(random, directory) : Path.Combine(directory, "out");
        if (command == "cluster")
        {
            args.AddRange(["--features", Array(random, fault, directory, "features", n + 4, k, Content.Reals), "--k", fault == Fault.Parameter ? Pick(random, ["1", "0", "-2", "100"]) : "2"]);
            args.AddRange(["--epochs", fault == Fault.Parameter ? Pick(random, ["0", "-1"]) : "1", "--quiet", "--backend", "cpu", "--init-restarts", "1", "--kmeans-restarts", "1"]);
            args.AddRange(["--method", Pick(random, ["cce-em", "ce", "sela", "swav", "self-classifier", "kmeans"])]);
            if (fault == Fault.Parameter)
            {
                AddReals(random, args, "--lr", "--lambda", "--momentum", "--epsilon");
            }
        }
        else if (command == "sinkhorn")
        {
            args.AddRange(["--logits", Array(random, fault, directory, "logits", n, k, Content.MappedReals), "--quiet", "--backend", "cpu"]);
            if (fault == Fault.Parameter)
            {
                AddReals(random, args, "--lambda", "--tol");
                AddIntegers(random, args, "--check-every", "--max-iters");
            }
        }
        else
        {
            var op = OpCatalog.All.Single(o => o.Name == args[1]);
            foreach (var input in op.Inputs)
            {
                if (!input.Required && random.Next(2) == 0)
                {
                    continue;
                }

                var content = input.Name == "labels" ? Content.Labels : input.Name is "probs" or "targets" or "init" ? Content.Distributions : Content.Reals;
                bool views = op.Name == "self-classifier";
                args.AddRange(["--" + input.Name, Array(random, fault, directory, input.Name, views ? 2 * n : n, k, content, views)]);
            }

            foreach (var option in op.Parameters)
            {
                if (option.Name == "--k")
                {
                    // Average-K's set size has no default; a valid one lies in [1, L].
                    args.AddRange(fault == Fault.Parameter && random.Next(2) == 0 ? ParameterValue(random, option) : ["--k", "1.5"]);
                }
                else if (fault == Fault.Parameter && random.Next(2) == 0)
                {
                    args.AddRange(ParameterValue(random, option));
                }
            }

            args.AddRange(["--backend", "cpu"]);
        }

        if (target.Length > 0)
        {
            args.AddRange(["--out", target]);
        }

        return args;
    }

    private static string[] ParameterValue(Random random, Option option) => option switch
    {
        Option<double> or Option<double?> => [option.Name, Pick(random, RealExtremes)],
        Option<int> or Option<int?> => [option.Name, Pick(random, IntegerExtremes)],
        Option<bool> => [option.Name],
        Option<string> when option.Name == "--solver" => [option.Name, Pick(random, ["em", "pgd", "bogus"])],
        Option<string> when option.Name == "--rule" => [option.Name, Pick(random, ["true-plus-top", "top-then-true", "bogus"])],
        _ => throw new InvalidOperationException($"no generator for {option.Name}"),
    };

    private static void AddReals(Random random, List<string> args, params string[] names)
    {
        foreach (var name in names.Where(_ => random.Next(2) == 0))
        {
            args.AddRange([name, Pick(random, RealExtremes)]);
        }
    }

    private static void AddIntegers(Random random, List<string> args, params string[] names)
    {
        foreach (var name in names.Where(_ => random.Next(2) == 0))
        {
            args.AddRange([name, Pick(random, IntegerExtremes)]);
        }
    }

    private enum Content
    {
        Reals,

        /// <summary>Reals for gsl sinkhorn, which memory-maps float32 (float16, bfloat16) and converts nothing.</summary>
        MappedReals,
        Distributions,
        Labels,
    }

    /// <summary>
    /// An input file: mostly a valid array of the expected kind (float32, float64, int32 or int64 on
    /// disk), sometimes a wrong shape, and sometimes a broken file (truncated, garbage, a shape that
    /// overflows or is negative).
    /// </summary>
    private static string Array(Random random, Fault fault, string directory, string name, int rows, int columns, Content content, bool views = false)
    {
        string path = Path.Combine(directory, name + ".npy");
        long[] shape = content == Content.Labels ? [rows] : views ? [2, rows / 2, columns] : [rows, columns];
        if (fault == Fault.Shape && random.Next(2) == 0)
        {
            shape = random.Next(3) switch
            {
                0 => [rows],
                1 => [0, columns],
                _ => [rows, columns, 1, 2],
            };
        }

        long count = shape.Aggregate(1L, (a, b) => a * b);
        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = content switch
            {
                Content.Labels => fault == Fault.Shape ? random.Next(-1, columns + 1) : random.Next(columns),
                Content.Distributions => random.NextDouble() + 1e-3,
                _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4)),
            };
        }

        if (content == Content.Distributions && shape.Length >= 2)
        {
            int width = (int)shape[^1];
            for (long row = 0; row < count / width; row++)
            {
                double sum = 0;
                for (int j = 0; j < width; j++)
                {
                    sum += values[(row * width) + j];
                }

                for (int j = 0; j < width; j++)
                {
                    values[(row * width) + j] /= sum;
                }
            }
        }

        string descr = content == Content.Labels
            ? Pick(random, fault == Fault.File ? ["<f4", "<u2", ">i8"] : ["<i8", "<i4"])
            : Pick(random, fault == Fault.File ? ["<u2", ">f4", "|b1", "<f8"] : content == Content.MappedReals ? ["<f4"] : ["<f4", "<f4", "<f8", "<i8", "<i4"]);
        var bytes = Encode(descr, shape, values);
        if (fault == Fault.File && random.Next(2) == 0)
        {
            bytes = random.Next(4) switch
            {
                0 => bytes[..random.Next(0, bytes.Length)],
                1 => Garbage(random),
                2 => Encode(descr, [1L << 40, 1L << 40], []),
                _ => Encode(descr, [-3, columns], []),
            };
        }

        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Encode(string descr, long[] shape, double[] values)
    {
        using var stream = new MemoryStream();
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - 11) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
        stream.Write(Encoding.ASCII.GetBytes(header));
        using var writer = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        foreach (var v in values)
        {
            switch (descr)
            {
                case "<f4": writer.Write((float)v); break;
                case "<f8": writer.Write(v); break;
                case "<i4": writer.Write((int)v); break;
                case "<i8": writer.Write((long)v); break;
                default: writer.Write((short)v); break;
            }
        }

        writer.Flush();
        return stream.ToArray();
    }

    private static byte[] Garbage(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        if (bytes.Length > 8 && random.Next(2) == 0)
        {
            "\x93NUMPY"u8.CopyTo(bytes);
        }

        return bytes;
    }

    /// <summary>A missing parent (valid), an existing file, /proc, a non-empty directory, or no --out.</summary>
    private static string OutputTarget(Random random, string directory)
    {
        switch (random.Next(5))
        {
            case 0:
                return Path.Combine(directory, "missing", "parent", "out");
            case 1:
                string file = Path.Combine(directory, "existing.txt");
                File.WriteAllText(file, "keep");
                return file;
            case 2:
                return "/proc/gsl-property-test";
            case 3:
                string full = Path.Combine(directory, "full");
                Directory.CreateDirectory(full);
                File.WriteAllText(Path.Combine(full, "notes.txt"), "keep");
                return full;
            default:
                return string.Empty;
        }
    }

    private static void AssertFiniteOutputs(string target, string context)
    {
        if (target.Length == 0 || !Directory.Exists(target))
        {
            return;
        }

        foreach (var file in Directory.GetFiles(target, "*.npy"))
        {
            var array = NpyReader.Read(file);
            if (array.Floats is { } floats)
            {
                Assert.True(floats.All(float.IsFinite), $"{context}: {Path.GetFileName(file)} holds a non-finite value");
            }
        }
    }

    /// <summary>Every file and directory under <paramref name="directory"/> with its size and content hash.</summary>
    private static List<string> Snapshot(string directory) =>
        [.. Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{p} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p)))}" : p)];

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Show(IEnumerable<string> args) => string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));

    private static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked((h * 31) + c));
}
