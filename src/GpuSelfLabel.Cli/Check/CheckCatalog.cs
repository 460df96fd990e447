using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Cli.Check;

/// <summary>
/// One self-test case: an operation of ops.md at one shape, on seeded inputs the case makes itself, run
/// once on the backend under test and once on the CPU backend. <see cref="Run"/> builds the inputs on
/// the backend it is given, runs the public API and brings every output to the host.
/// </summary>
internal sealed record CheckCase(string Op, string Shape, Func<Backend, IReadOnlyList<CheckOutput>> Run);

/// <summary>
/// The cases of <c>gsl check</c>: every operation of ops.md at every N×K of the size list, and the edge
/// cases the kernels have separate code paths for (±80 logits, SeLa on rows of ties near 1e30, float16 and
/// bfloat16 SeLa storage, a host matrix streamed to the device in chunks, several SeLa heads) at the
/// largest size of the list.
/// </summary>
internal static class CheckCatalog
{
    /// <summary>
    /// The default sizes: one row, K = 2, K not a multiple of any group size (3, 257), more rows than a
    /// reduction group (300), K = 3000 (ImageNet's SeLa) and K = 10000 (beyond a group's register cache).
    /// </summary>
    public static readonly IReadOnlyList<BenchmarkSize> DefaultSizes =
        [new(1, 2), new(7, 3), new(33, 257), new(300, 7), new(64, 3000), new(8, 10000)];

    /// <summary>Iterations of the EM and projected-gradient solvers: enough to move far from the start, few enough to stay quick.</summary>
    private const int SolverIterations = 20;

    public static List<CheckCase> Cases(IReadOnlyList<BenchmarkSize> sizes)
    {
        var cases = new List<CheckCase>();
        foreach (var size in sizes)
        {
            AddEveryOperation(cases, checked((int)size.Rows), checked((int)size.Columns));
        }

        var largest = sizes.MaxBy(s => s.Elements);
        int n = checked((int)largest.Rows), k = checked((int)largest.Columns);
        AddExtremeLogits(cases, n, k);
        foreach (var dtype in new[] { DType.Float16, DType.BFloat16 })
        {
            cases.Add(SelaStorage(n, k, dtype, streamed: false));
        }

        cases.Add(SelaStorage(n, k, DType.BFloat16, streamed: true));
        cases.Add(SelaHeads(3, n, k));
        return cases;
    }

    private static void AddEveryOperation(List<CheckCase> cases, int n, int k)
    {
        string shape = $"{n}×{k}";
        int seed = (n * 7919) + k;
        var logits = CheckData.Logits(n, k, seed, 3);
        var probs = CheckData.Softmax(logits, n, k);
        var targets = CheckData.Softmax(CheckData.Logits(n, k, seed + 1, 2), n, k);
        var grad = CheckData.Logits(n, k, seed + 2, 1);
        var options = new SoftmaxOptions(0.7);

        cases.Add(new("softmax", shape, b => Outputs(b, z => [CheckOutput.Take("probs", Softmax.Forward(z[0], options))], (logits, n, k))));
        cases.Add(new("log-softmax", shape, b => Outputs(b, z => [CheckOutput.Take("logprobs", Softmax.LogForward(z[0], options))], (logits, n, k))));
        cases.Add(new("softmax-backward", shape, b => Outputs(b, t => [CheckOutput.Take("dlogits", Softmax.Backward(t[0], t[1], options))], (probs, n, k), (grad, n, k))));
        var logProbs = Array.ConvertAll(probs, p => MathF.Log(Math.Max(p, 1e-30f)));
        cases.Add(new("log-softmax-backward", shape, b => Outputs(b, t => [CheckOutput.Take("dlogits", Softmax.LogBackward(t[0], t[1], options))], (logProbs, n, k), (grad, n, k))));
        cases.Add(new("collision-ce", shape, b => Outputs(b, CollisionCe, (logits, n, k), (targets, n, k))));
        cases.Add(new("cross-entropy", shape, b => Outputs(b, ShannonCe, (logits, n, k), (targets, n, k))));
        cases.Add(new("cce-em", shape, b => Outputs(b, t => Solver(PseudoLabels.Em(t[0], new PseudoLabelOptions(1.5, 0, SolverIterations))), (probs, n, k))));
        cases.Add(new("sinkhorn", shape, b => Outputs(b, t => Sela(SinkhornProblem.FromLogits(t[0]), new SinkhornOptions(ComputeCodes: true, CheckEvery: 3)), (logits, n, k))));
        var scores = Array.ConvertAll(logits, v => MathF.Tanh(v / 3));
        cases.Add(new("swav-sinkhorn", shape, b => Outputs(b, t => [CheckOutput.Take("codes", Sinkhorn.Swav(t[0]))], (scores, n, k))));
        var views = CheckData.Logits(3 * n, k, seed + 3, 1);
        cases.Add(new("self-classifier", $"3×{n}×{k}", b =>
        {
            using var v = b.FromArray(views, 3, n, k);
            return SelfClassifierCase(v);
        }));

        var labels = CheckData.Labels(n, k, seed + 4);
        double averageK = k >= 3 ? 1.5 : 1.0;
        cases.Add(new("avgk-threshold", shape, b => Outputs(b, t => Threshold(AverageK.Threshold(t[0], averageK, labels)), (scores, n, k))));
        cases.Add(new("avgk-pseudo-labels", shape, b => Outputs(b, t => [CheckOutput.TakeExact("targets", AverageK.PseudoLabels(t[0], labels, averageK))], (probs, n, k))));
        var multilabel = CheckData.Logits(n, k, seed + 5, 2);
        cases.Add(new("two-head-loss", shape, b => Outputs(b, t => TwoHead(AverageK.TwoHeadLoss(t[0], t[1], labels, averageK)), (logits, n, k), (multilabel, n, k))));
    }

    private static void AddExtremeLogits(List<CheckCase> cases, int n, int k)
    {
        string shape = $"{n}×{k} ±80";
        var logits = CheckData.Extreme(n, k, seed: 80);
        var targets = CheckData.Softmax(CheckData.Logits(n, k, 81, 2), n, k);
        cases.Add(new("softmax", shape, b => Outputs(b, z => [CheckOutput.Take("probs", Softmax.Forward(z[0]))], (logits, n, k))));
        cases.Add(new("log-softmax", shape, b => Outputs(b, z => [CheckOutput.Take("logprobs", Softmax.LogForward(z[0]))], (logits, n, k))));
        cases.Add(new("collision-ce", shape, b => Outputs(b, CollisionCe, (logits, n, k), (targets, n, k))));
        cases.Add(new("cross-entropy", shape, b => Outputs(b, ShannonCe, (logits, n, k), (targets, n, k))));
        cases.Add(new("sinkhorn", shape, b => Outputs(b, t => Sela(SinkhornProblem.FromLogits(t[0]), new SinkhornOptions(ComputeCodes: true)), (logits, n, k))));

        // Rows of ties near 1e30: only the passes' row maxima keep the O(1) terms that split them.
        var ties = CheckData.Ties(n, k, seed: 30, 1e30);
        cases.Add(new("sinkhorn", $"{n}×{k} ties ×1e30", b => Outputs(b, t => Sela(SinkhornProblem.FromLogits(t[0]), new SinkhornOptions(ComputeCodes: true)), (ties, n, k))));
    }

    /// <summary>SeLa on a float16 or bfloat16 matrix, resident on the backend or, streamed, in host memory read in three chunks.</summary>
    private static CheckCase SelaStorage(int n, int k, DType dtype, bool streamed)
    {
        var bits = CheckData.ToStorage(CheckData.Logits(n, k, seed: 16 + (int)dtype, 3), dtype);
        string name = dtype == DType.Float16 ? "float16" : "bfloat16";
        long chunk = Math.Max(1, (n + 2) / 3);
        return new(
            "sinkhorn",
            $"{n}×{k} {name}{(streamed ? $" streamed, chunks of {chunk}" : string.Empty)}",
            b =>
            {
                using var matrix = CheckData.Storage(streamed ? Backend.Cpu : b, bits, dtype, n, k);
                var options = new SinkhornOptions(ComputeCodes: true, ChunkRows: streamed ? chunk : null);
                return Sela(SinkhornProblem.FromLogits(matrix, b), options);
            });
    }

    private static CheckCase SelaHeads(int heads, int n, int k)
    {
        var z = CheckData.Logits(heads * n, k, seed: 33, 2);
        return new("sinkhorn", $"{heads}×{n}×{k} heads", b =>
        {
            using var logits = b.FromArray(z, heads, n, k);
            return Sela(SinkhornProblem.FromLogits(logits), new SinkhornOptions(ComputeCodes: true));
        });
    }

    /// <summary>Uploads the float32 inputs to <paramref name="backend"/>, runs <paramref name="body"/>, and disposes the inputs.</summary>
    private static List<CheckOutput> Outputs(Backend backend, Func<Tensor[], List<CheckOutput>> body, params (float[] Values, int Rows, int Columns)[] inputs)
    {
        var tensors = new List<Tensor>();
        try
        {
            foreach (var (values, rows, columns) in inputs)
            {
                tensors.Add(backend.FromArray(values, rows, columns));
            }

            return body([.. tensors]);
        }
        finally
        {
            foreach (var t in tensors)
            {
                t.Dispose();
            }
        }
    }

    private static List<CheckOutput> CollisionCe(Tensor[] t)
    {
        using var r = CollisionCrossEntropy.Compute(t[0], t[1]);
        return
        [
            CheckOutput.Scalar("loss", r.Loss), CheckOutput.Elementwise("losses", r.Losses),
            CheckOutput.Elementwise("dlogits", r.DLogits), CheckOutput.Elementwise("dtargets", r.DTargets),
        ];
    }

    private static List<CheckOutput> ShannonCe(Tensor[] t)
    {
        using var r = CrossEntropy.Compute(t[0], t[1]);
        return [CheckOutput.Scalar("loss", r.Loss), CheckOutput.Elementwise("losses", r.Losses), CheckOutput.Elementwise("dlogits", r.DLogits)];
    }

    private static List<CheckOutput> Solver(PseudoLabelResult result)
    {
        using (result)
        {
            return
            [
                CheckOutput.Exact("iterations", result.Iterations), CheckOutput.Elementwise("labels", result.Labels),
                CheckOutput.Scalars("objective", result.Objective),
            ];
        }
    }

    private static List<CheckOutput> Sela(SinkhornProblem problem, SinkhornOptions options)
    {
        using var result = Sinkhorn.SeLa(problem, options);
        var codes = result.Codes!.ToArray();
        return
        [
            CheckOutput.Exact("iterations", Array.ConvertAll(result.Iterations, t => (double)t)),
            new CheckOutput("logr", CheckRule.Elementwise, Array.ConvertAll(result.LogR.ToArray(), v => (double)v)),
            new CheckOutput("logc", CheckRule.Elementwise, Array.ConvertAll(result.LogC.ToArray(), v => (double)v)),
            new CheckOutput("codes", CheckRule.Elementwise, Array.ConvertAll(codes, v => (double)v)),
            CheckOutput.Labels("labels", result.Labels, codes),
        ];
    }

    private static List<CheckOutput> SelfClassifierCase(Tensor views)
    {
        using var r = SelfClassifier.Compute(views, new SelfClassifierOptions(GlobalViews: 2));
        return [CheckOutput.Scalar("loss", r.Loss), CheckOutput.Elementwise("dlogits", r.DLogits)];
    }

    private static List<CheckOutput> Threshold(AverageKThreshold t) =>
        [CheckOutput.Scalar("threshold", t.Threshold), CheckOutput.Exact("accuracy", t.Accuracy ?? double.NaN), CheckOutput.Scalar("mean-set-size", t.MeanSetSize)];

    private static List<CheckOutput> TwoHead(TwoHeadLossResult r)
    {
        using (r)
        {
            return [CheckOutput.Scalar("loss", r.Loss), CheckOutput.Elementwise("dsoftmax", r.DSoftmax), CheckOutput.Elementwise("dmultilabel", r.DMultilabel)];
        }
    }
}

/// <summary>Seeded inputs of the check cases (the same values on every backend).</summary>
internal static class CheckData
{
    /// <summary>N×K logits, Gaussian of standard deviation <paramref name="scale"/>.</summary>
    public static float[] Logits(int n, int k, int seed, double scale)
    {
        var random = new Random(seed);
        var z = new float[checked(n * k)];
        for (int i = 0; i < z.Length; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            z[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return z;
    }

    /// <summary>Logits of −80, +80 or uniform in [−10, 10), a third each: exponentials far beyond float32 unless shifted.</summary>
    public static float[] Extreme(int n, int k, int seed)
    {
        var random = new Random(seed);
        var z = new float[checked(n * k)];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = random.Next(3) switch { 0 => -80f, 1 => 80f, _ => (float)((random.NextDouble() * 20) - 10) };
        }

        return z;
    }

    /// <summary>
    /// Small integers (−2 to 2) times <paramref name="magnitude"/>: rows of tied logits far from 0. Row
    /// i holds its maximum 2 in every column k ≡ i (mod N) and in a fifth of the others, so every column
    /// is some row's maximum: a column that is none would need log r to cancel λ·magnitude to O(1),
    /// which float64 cannot do (README: Sinkhorn solvers at extreme magnitudes).
    /// </summary>
    public static float[] Ties(int n, int k, int seed, double magnitude)
    {
        var random = new Random(seed);
        var z = new float[checked(n * k)];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                int t = j % n == i % n || random.Next(5) == 0 ? 2 : random.Next(-2, 2);
                z[(i * k) + j] = (float)(t * magnitude);
            }
        }

        return z;
    }

    /// <summary>Row-wise softmax in float64, rounded to float32 as a caller would hold it.</summary>
    public static float[] Softmax(float[] z, int n, int k)
    {
        var p = new float[z.Length];
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * k, k);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
            }

            foreach (var v in row)
            {
                sum += Math.Exp(v - max);
            }

            for (int j = 0; j < k; j++)
            {
                p[(i * k) + j] = (float)(Math.Exp(row[j] - max) / sum);
            }
        }

        return p;
    }

    public static int[] Labels(int n, int k, int seed)
    {
        var random = new Random(seed);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = random.Next(k);
        }

        return labels;
    }

    public static ushort[] ToStorage(float[] values, DType dtype) => dtype == DType.Float16
        ? Array.ConvertAll(values, v => BitConverter.HalfToUInt16Bits((Half)v))
        : Array.ConvertAll(values, StorageConversion.SingleToBFloat16);

    /// <summary>An N×K tensor of <paramref name="dtype"/> (16-bit storage) on <paramref name="backend"/> holding <paramref name="bits"/>.</summary>
    public static Tensor Storage(Backend backend, ushort[] bits, DType dtype, int n, int k)
    {
        var tensor = backend.Allocate(dtype, n, k);
        backend.Upload(tensor.Buffer, tensor.ByteOffset, MemoryMarshal.AsBytes(bits.AsSpan()));
        return tensor;
    }
}
