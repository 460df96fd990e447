using System.Globalization;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Train;

/// <summary>Everything one <c>gsl-train</c> run needs; the defaults are the ones chosen on held-out train images.</summary>
internal sealed record TrainOptions
{
    public static readonly string[] Methods = ["cce-em", "ce", "sela", "swav", "self-classifier"];
    public static readonly string[] Networks = ["mlp", "convnet"];

    /// <summary>More heads than this only multiply the cost: SeLa's own runs use ten.</summary>
    public const int MaxHeads = 100;

    public string? Dataset { get; init; }
    public string? Images { get; init; }
    public string? Labels { get; init; }
    public string Network { get; init; } = "mlp";
    public string Method { get; init; } = "swav";
    public int K { get; init; } = 10;
    public int Epochs { get; init; } = 15;
    public int Seed { get; init; }
    public int Threads { get; init; }
    public int BatchSize { get; init; } = 512;
    public double LearningRate { get; init; } = 1e-3;
    public double Lambda { get; init; } = 1.0;
    /// <summary>Cluster heads trained together on one trunk; the one with the lowest loss is used.</summary>
    public int Heads { get; init; } = 5;
    /// <summary>Pair each image with one of its this many nearest training images as the second view (0: a second augmentation of itself).</summary>
    public int Neighbours { get; init; } = 20;
    /// <summary>Hold out this many train images (the last ones) with their labels and score on them instead of the test split: for choosing defaults.</summary>
    public int Holdout { get; init; }
    /// <summary>Train on the first this many training images only (0: all); for smoke runs.</summary>
    public int Limit { get; init; }
    public string? Out { get; init; }
    /// <summary>cli.md's common option: where the library's ops run follows the tensors, which are LibTorch CPU tensors here.</summary>
    public string Backend { get; init; } = "auto";
    public bool Json { get; init; }
    public bool Quiet { get; init; }

    public static TrainOptions Parse(IReadOnlyList<string> args)
    {
        var o = new TrainOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException(name, "needs a value");
                }

                return args[++i];
            }

            o = name switch
            {
                "--dataset" => o with { Dataset = Value() },
                "--images" => o with { Images = Value() },
                "--labels" => o with { Labels = Value() },
                "--network" => o with { Network = OneOf(name, Value(), Networks) },
                "--method" => o with { Method = OneOf(name, Value(), Methods) },
                "--k" => o with { K = Integer(name, Value(), 2) },
                "--epochs" => o with { Epochs = Integer(name, Value(), 1) },
                "--seed" => o with { Seed = Integer(name, Value(), 0) },
                "--threads" => o with { Threads = Integer(name, Value(), 0, Environment.ProcessorCount, "the logical cores of this machine") },
                "--batch-size" => o with { BatchSize = Integer(name, Value(), 8) },
                "--lr" => o with { LearningRate = Positive(name, Value()) },
                "--lambda" => o with { Lambda = Positive(name, Value()) },
                "--heads" => o with { Heads = Integer(name, Value(), 1, MaxHeads) },
                "--neighbours" => o with { Neighbours = Integer(name, Value(), 0) },
                "--holdout" => o with { Holdout = Integer(name, Value(), 0) },
                "--limit" => o with { Limit = Limited(name, Value()) },
                "--out" => o with { Out = Value() },
                "--backend" => o with { Backend = OneOf(name, Value(), BackendRegistry.Names) },
                "--json" => o with { Json = true },
                "--quiet" => o with { Quiet = true },
                _ => throw new UsageException(name, "unknown option; see gsl-train --help"),
            };
        }

        if ((o.Dataset is null) == (o.Images is null))
        {
            throw new UsageException("--dataset", "give either --dataset fashion-mnist|mnist or --images X.npy");
        }

        if (o.Labels is not null && o.Images is null)
        {
            throw new UsageException("--labels", "goes with --images (a --dataset has its own labels)");
        }

        if (o.Holdout > 0 && o.Dataset is null)
        {
            throw new UsageException("--holdout", "goes with --dataset (it holds out labelled train images)");
        }

        return o;
    }

    public const string Help = """
        gsl-train: trains a network from unlabelled images by self-labelling and reports its clusters.

          --dataset fashion-mnist|mnist   train on the 60,000 train images, score on the 10,000 test images
          --images X.npy [--labels y.npy] N×D, N×H×W or N×C×H×W float images (scored against y when given)
          --network mlp|convnet           (mlp)
          --method cce-em|ce|sela|swav|self-classifier   (swav)
          --k K                           clusters (10)
          --epochs E                      (15)
          --seed S                        (0)
          --threads T                     LibTorch threads (0: its default)
          --batch-size B  --lr LR  --lambda L   (512, 0.001, 1: EM fairness weight)
          --heads H                       cluster heads on one trunk, the lowest-loss one is used (5)
          --neighbours N                  second view: an augmented one of the N nearest train images (20; 0: itself)
          --holdout N                     score on the last N train images instead of the test split
          --limit N                       train on the first N train images only
          --out DIR                       model.dat (module.save), clusters.npy (int64), report.json
          --backend auto|cpu|opencl|cuda  where the library's ops run: with LibTorch's CPU tensors, cpu (auto)
          --json                          one JSON object on stdout, nothing else
          --quiet                         no progress on stderr
        Exit codes: 0 success, 2 bad usage or input, 1 internal error, 130 stopped by Ctrl-C (nothing written).
        """;

    private static string OneOf(string name, string value, IReadOnlyList<string> allowed) =>
        allowed.Contains(value) ? value : throw new UsageException(name, $"'{value}' is not one of {string.Join(", ", allowed)}");

    private static int Integer(string name, string value, int minimum, int maximum = int.MaxValue, string? what = null)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
        {
            throw new UsageException(name, $"'{value}' is not an integer");
        }

        if (n > maximum)
        {
            throw new UsageException(name, $"must be at most {maximum}{(what is null ? string.Empty : $" ({what})")}, got {n}");
        }

        return n >= minimum ? n : throw new UsageException(name, $"must be at least {minimum}, got {n}");
    }

    /// <summary>--limit: 0 (every image) or at least 2, since one image has no neighbour and no second cluster.</summary>
    private static int Limited(string name, string value)
    {
        int n = Integer(name, value, 0);
        return n == 1 ? throw new UsageException(name, "must be 0 (every image) or at least 2, got 1") : n;
    }

    private static double Positive(string name, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
        {
            throw new UsageException(name, $"'{value}' is not a number");
        }

        return x > 0 ? x : throw new UsageException(name, $"must be positive, got {value}");
    }
}
