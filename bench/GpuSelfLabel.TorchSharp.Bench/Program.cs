using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuSelfLabel.TorchSharp;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

// Our autograd ops against the same loss written with TorchSharp ops, forward + backward, in one
// process with one thread count, plus the interop overhead: the public function against the
// library's fused pass alone on the same (already wrapped) memory.
//
//   dotnet run -c Release --project bench/GpuSelfLabel.TorchSharp.Bench -- [--rows 65536] [--classes 3000]
//       [--repeat 3] [--threads N] [--em-iters 10] [--sela-iters 30] [--sc-rows N] [--out bench/results/torchsharp-cpu.md]
//       [--overhead-only]   (only the interop overhead, printed to stderr)
TorchSharpLoader.EnsureLoaded();
var options = BenchOptions.Parse(args);
torch.set_num_threads(options.Threads);
torch.manual_seed(0);
Console.Error.WriteLine($"TorchSharp interop benchmark: {options.Rows}x{options.Classes}, {options.Threads} threads, {options.Repeat} timed runs each");

var rows = new List<string[]>();
void Compare(string name, Func<double> ours, Func<double> composed, string note)
{
    var a = Measure(ours, options.Repeat);
    var b = Measure(composed, options.Repeat);
    rows.Add([name, Seconds(a), Seconds(b), (b / a).ToString("F1", CultureInfo.InvariantCulture) + "×", note]);
    Console.Error.WriteLine($"{name}: ours {a:F3} s, TorchSharp {b:F3} s");
}

long n = options.Rows;
long k = options.Classes;
var logits = (torch.randn(n, k) * 3).requires_grad_(true);
var targets = torch.softmax(torch.randn(n, k) * 3, 1);

var overhead = InteropOverhead.Measure(logits, targets, options.Repeat);
Console.Error.WriteLine($"interop: core {overhead.Core:F4} s, to a layer {overhead.ToLayer:F4} s, into a zeroed grad {overhead.IntoZeroedGrad:F4} s, into a None grad {overhead.IntoNoneGrad:F4} s; to a layer against core, median of {overhead.Rounds} paired rounds {overhead.ToLayerPairedPercent:+0.0;-0.0} %");
if (options.OverheadOnly)
{
    return;
}

Compare("collision CE, forward + backward",
    () => Time(() =>
    {
        // A dispose scope on both sides, as a TorchSharp training step has: without it the loss and the
        // gradient saved for backward (786 MB here) live until the GC finalises them, and every run
        // maps fresh memory.
        logits.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        GslFunctional.collision_cross_entropy(logits, targets).backward();
    }),
    () => Time(() =>
    {
        logits.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        (torch.logsumexp(logits, 1) - torch.logsumexp(logits + torch.log(targets), 1)).mean().backward();
    }),
    "LSE(z) − LSE(z + ln y), mean");

// The composed Self-Classifier needs most of this machine's memory at 65536×3000: free these first.
logits.Dispose();
targets.Dispose();
GC.Collect();
GC.WaitForPendingFinalizers();

// The composed loss keeps about a dozen N×K float32 intermediates per view for backward: at 65536×3000
// with V = 2 it was killed for memory on this 24 GB machine, so --sc-rows can halve N for this row.
long scRows = options.SelfClassifierRows ?? n;
var views = (torch.randn(2, scRows, k) * 3).requires_grad_(true);
Compare($"Self-Classifier loss (V = 2, N = {scRows}), forward + backward",
    () => Time(() =>
    {
        views.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        GslFunctional.self_classifier_loss(views).backward();
    }),
    () => Time(() =>
    {
        views.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        ComposedSelfClassifier(views, 0.1, 0.05).backward();
    }),
    "ops.md §7 term by term");
views.Dispose();
GC.Collect();
GC.WaitForPendingFinalizers();

using (torch.no_grad())
{
    var solverLogits = torch.randn(n, k) * 3;
    var probs = torch.softmax(solverLogits, 1);
    int emIterations = options.EmIterations;
    Compare($"EM pseudo-labels, {emIterations} iterations",
        () => Time(() => GslPseudoLabels.em(probs, lambda: 1.0, tol: 1e-30, max_iters: emIterations).Dispose()),
        () => Time(() => { using var scope = torch.NewDisposeScope(); ComposedEm(probs, 1.0, emIterations); }),
        "ops.md §4 step, all rows at once");

    int selaIterations = options.SelaIterations;
    Compare($"SeLa Sinkhorn, {selaIterations} iterations (λ = 25)",
        () => Time(() => GslPseudoLabels.sela(solverLogits, lambda: 25, tol: 1e-30, max_iters: selaIterations).Dispose()),
        () => Time(() => { using var scope = torch.NewDisposeScope(); ComposedSela(solverLogits, 25, selaIterations); }),
        "log domain, two logsumexps per iteration");
}

var report = new StringBuilder();
report.AppendLine("# TorchSharp interop: our autograd ops against TorchSharp's composed ops (CPU)");
report.AppendLine();
report.AppendLine($"Command: `dotnet run -c Release --project bench/GpuSelfLabel.TorchSharp.Bench -- {string.Join(' ', args)}`");
report.AppendLine();
report.AppendLine($"Machine: {Environment.ProcessorCount} cores ({options.Threads} threads for both sides: `torch.set_num_threads` and the library's own parallelism share the cores), .NET {Environment.Version}, TorchSharp 0.107.0 (LibTorch 2.10 CPU), load average at start {LoadAverage()}. Times are medians of {options.Repeat} runs after one warm-up; inputs {n}×{k} float32.");
report.AppendLine();
report.AppendLine("| workload | GpuSelfLabel (s) | TorchSharp composed (s) | speed-up | composed as |");
report.AppendLine("|---|---:|---:|---:|---|");
foreach (var row in rows)
{
    report.AppendLine("| " + string.Join(" | ", row) + " |");
}

report.AppendLine();
report.AppendLine($"Interop overhead at {n}×{k}, `collision_cross_entropy(z, y)` forward + backward (targets without gradient) against the core library alone on the same memory ({overhead.Core:F4} s: `CollisionCrossEntropy.ComputeInto` into fresh outputs, validation and the fused pass as on the public side):");
report.AppendLine();
report.AppendLine($"- gradient handed to the layer below (`torch.autograd.grad`, the training case): {overhead.ToLayer:F4} s, {overhead.Percent(overhead.ToLayer):+0.0;-0.0} % (median of {overhead.Rounds} rounds, each against the core run just before it: {overhead.ToLayerPairedPercent:+0.0;-0.0} %);");
report.AppendLine($"- added into a leaf's zeroed `.grad` (autograd's in-place accumulation, one more pass): {overhead.IntoZeroedGrad:F4} s, {overhead.Percent(overhead.IntoZeroedGrad):+0.0;-0.0} %;");
report.AppendLine($"- into a leaf whose `.grad` is None (autograd copies the gradient, see `InteropOverhead.cs`): {overhead.IntoNoneGrad:F4} s, {overhead.Percent(overhead.IntoNoneGrad):+0.0;-0.0} %.");
Console.Write(report.ToString());
if (options.Out is { } path)
{
    File.WriteAllText(path, report.ToString());
    Console.Error.WriteLine($"wrote {path}");
}

static double Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalSeconds;
}

static double Measure(Func<double> run, int repeat)
{
    run();
    var times = Enumerable.Range(0, repeat).Select(_ => run()).Order().ToArray();
    return times[times.Length / 2];
}

static string Seconds(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

static Tensor ComposedSelfClassifier(Tensor s, double tauRow, double tauCol)
{
    // Each view's target T and log-prediction ln((N/C)P + ε) once, then every ordered pair: what a
    // careful user writes, and what fits this machine's memory at 65536×3000.
    const double epsilon = 1e-12;
    long views = s.shape[0];
    long n = s.shape[1];
    long c = s.shape[2];
    var targets = new Tensor[views];
    var logPredictions = new Tensor[views];
    for (long v = 0; v < views; v++)
    {
        var a = torch.softmax(s[v] / tauCol, 0);
        targets[v] = a / a.sum(1, keepdim: true).clamp_min(epsilon);
        var r = torch.softmax(s[v] / tauRow, 1);
        var p = r / r.sum(0, keepdim: true).clamp_min(epsilon);
        logPredictions[v] = torch.log(((double)n / c * p) + epsilon);
    }

    Tensor? total = null;
    int pairs = 0;
    for (long i = 0; i < views; i++)
    {
        for (long j = 0; j < views; j++)
        {
            if (i == j)
            {
                continue;
            }

            var term = -(targets[i] * logPredictions[j]).sum() / n;
            total = total is null ? term : total + term;
            pairs++;
        }
    }

    return total! / pairs;
}

static void ComposedEm(Tensor sigma, double lambda, int iterations)
{
    long n = sigma.shape[0];
    double u = 1.0 / sigma.shape[1];
    var y = sigma.clone();
    for (int t = 0; t < iterations; t++)
    {
        // Each iteration's temporaries are freed with it, as a Python loop's would be.
        using var step = torch.NewDisposeScope();
        var s = y.sum(0, keepdim: true);
        var d = (sigma * y).sum(1, keepdim: true);
        var ti = (u * y / s).sum(1, keepdim: true);
        y = (((sigma * y / d) + (lambda * n * u * y / s)) / (1 + (lambda * n * ti))).MoveToOuterDisposeScope();
    }
}

static void ComposedSela(Tensor z, double lambda, int iterations)
{
    long n = z.shape[0];
    long k = z.shape[1];
    var logP = lambda * (z - torch.logsumexp(z, 1, keepdim: true));
    var logC = torch.full(n, -Math.Log(n));
    var logR = torch.zeros(k);
    for (int t = 0; t < iterations; t++)
    {
        using var step = torch.NewDisposeScope();
        logR = (-Math.Log(k) - torch.logsumexp(logP + logC.unsqueeze(1), 0)).MoveToOuterDisposeScope();
        logC = (-Math.Log(n) - torch.logsumexp(logP + logR.unsqueeze(0), 1)).MoveToOuterDisposeScope();
    }

    _ = (logP + logR.unsqueeze(0)).argmax(1);
}

static string LoadAverage()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Split(' ')[0];
    }
    catch (IOException)
    {
        return "unknown";
    }
}

internal sealed record BenchOptions(long Rows, long Classes, int Repeat, int Threads, int EmIterations, int SelaIterations, long? SelfClassifierRows, string? Out, bool OverheadOnly)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(65536, 3000, 3, Environment.ProcessorCount, 10, 30, null, null, false);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (args[i] == "--overhead-only")
            {
                o = o with { OverheadOnly = true };
                i--;
                continue;
            }

            if (i + 1 == args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value");
            }

            o = args[i] switch
            {
                "--rows" => o with { Rows = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--classes" => o with { Classes = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--repeat" => o with { Repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--em-iters" => o with { EmIterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--sela-iters" => o with { SelaIterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--sc-rows" => o with { SelfClassifierRows = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--out" => o with { Out = args[i + 1] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }
}
