using GpuSelfLabel.Backends;
using GpuSelfLabel.Solvers;

namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// Every operation the benchmark (<c>gsl bench</c>) times, with its bytes model: the least traffic the mathematics
/// allows (each input read once, each output written once, caches assumed not to hold the matrix),
/// so the effective bandwidth is bytes ÷ time and its ratio to the copy bandwidth is how close the
/// implementation comes to the memory limit. E = N·K elements; float32 is 4 bytes.
/// </summary>
public static class BenchmarkOperations
{
    /// <summary>λ of the SeLa pass (the spec's default).</summary>
    private const double SelaLambda = 25;

    /// <summary>SwAV iterations (the spec's default), which its bytes model counts.</summary>
    private const int SwavIterations = 3;

    /// <summary>Views of the Self-Classifier benchmark: V = 2 views of N×K each.</summary>
    private const int Views = 2;

    /// <summary>The average set size K of the Average-K operations (valid for every K ≥ 2).</summary>
    private const double AverageSetSize = 1.5;

    /// <summary>Every operation, the copy (the bandwidth reference) first.</summary>
    public static IReadOnlyList<BenchmarkOperation> All { get; } =
    [
        new("copy", BenchmarkScope.Kernel, "reads x, writes a copy: 8·E (the bandwidth reference)",
            (_, s) => 8 * s.Elements, Copy),
        new("softmax", BenchmarkScope.Kernel, "reads z, writes σ: 8·E",
            (_, s) => 8 * s.Elements, (b, s) => SoftmaxForward(b, s, logarithm: false)),
        new("log-softmax", BenchmarkScope.Kernel, "reads z, writes ln σ: 8·E",
            (_, s) => 8 * s.Elements, (b, s) => SoftmaxForward(b, s, logarithm: true)),
        new("softmax-backward", BenchmarkScope.Kernel, "reads σ and g, writes ∂z: 12·E",
            (_, s) => 12 * s.Elements, SoftmaxBackward),
        new("collision-ce", BenchmarkScope.Kernel, "forward + backward: reads z and y, writes ∂z, ∂y and the N losses: 16·E + 4·N",
            (_, s) => (16 * s.Elements) + (4 * s.Rows), CollisionCrossEntropy),
        new("cross-entropy", BenchmarkScope.Kernel, "forward + backward: reads z and y, writes ∂z and the N losses: 12·E + 4·N",
            (_, s) => (12 * s.Elements) + (4 * s.Rows), CrossEntropy),
        new("cce-em", BenchmarkScope.Kernel, "one EM iteration as the solver runs it (the step and its bookkeeping on the device): reads σ (4 B) and Y, writes Y' (Y in the backend's iterate type, float64: 8 B): 20·E",
            (b, s) => (4 + (2L * b.Kernels.PseudoLabelIterateType.SizeInBytes())) * s.Elements, EmStep),
        new("sinkhorn", BenchmarkScope.Kernel, "one SeLa iteration (λ = 25): reads z once and the row maxima, reads and writes the float64 row state: 4·E + 24·N",
            (_, s) => (4 * s.Elements) + (24 * s.Rows), SelaPass),
        new("swav-sinkhorn", BenchmarkScope.Operation, "3 iterations (ε = 0.05) on B×K scores: one read of S per iteration, plus one read and one write for the codes: 20·E",
            (_, s) => (SwavIterations + 2) * 4 * s.Elements, Swav),
        new("self-classifier", BenchmarkScope.Operation, "V = 2 views of N×K: reads S and writes ∂S once per view: 16·E",
            (_, s) => Views * 8 * s.Elements, SelfClassifierLoss),
        new("avgk-threshold", BenchmarkScope.Operation, "reads the scores once (a selection, not a sort): 4·E",
            (_, s) => 4 * s.Elements, AverageKThreshold),
        new("avgk-pseudo-labels", BenchmarkScope.Operation, "reads p, writes the 0/1 targets: 8·E",
            (_, s) => 8 * s.Elements, AverageKPseudoLabels),
        new("two-head-loss", BenchmarkScope.Operation, "reads both heads' logits, writes both gradients: 16·E",
            (_, s) => 16 * s.Elements, TwoHeadLoss),
    ];

    /// <summary>The operation called <paramref name="name"/>, or null.</summary>
    public static BenchmarkOperation? Find(string name) => All.FirstOrDefault(o => o.Name == name);

    /// <summary>The copy the benchmark measures the bandwidth with: a 1-D buffer of <paramref name="bytes"/> bytes.</summary>
    internal static BenchmarkCase BandwidthCopy(Backend backend, long bytes) => BenchmarkCase.Create(own =>
    {
        long elements = Math.Max(1, bytes / sizeof(float));
        var source = own(BenchmarkData.Uniform(backend, 1, 1f, elements));
        var destination = own(backend.Allocate(DType.Float32, elements));
        return () => { backend.Kernels.Copy(source, destination); BenchmarkClock.Wait(destination); };
    });

    private static BenchmarkCase Copy(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var source = own(BenchmarkData.Uniform(backend, 1, 1f, size.Rows, size.Columns));
        var destination = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        return () => { backend.Kernels.Copy(source, destination); BenchmarkClock.Wait(destination); };
    });

    private static BenchmarkCase SoftmaxForward(Backend backend, BenchmarkSize size, bool logarithm) => BenchmarkCase.Create(own =>
    {
        var logits = own(BenchmarkData.Uniform(backend, 2, 4f, size.Rows, size.Columns));
        var output = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        return () => { backend.Kernels.SoftmaxForward(logits, output, 1f, logarithm); BenchmarkClock.Wait(output); };
    });

    private static BenchmarkCase SoftmaxBackward(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var probs = own(BenchmarkData.Distributions(backend, 3, size.Rows, size.Columns));
        var grad = own(BenchmarkData.Uniform(backend, 4, 1f, size.Rows, size.Columns));
        var dlogits = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        return () => { backend.Kernels.SoftmaxBackward(probs, grad, dlogits, 1f, logarithm: false); BenchmarkClock.Wait(dlogits); };
    });

    private static BenchmarkCase CollisionCrossEntropy(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var logits = own(BenchmarkData.Uniform(backend, 5, 4f, size.Rows, size.Columns));
        var targets = own(BenchmarkData.Distributions(backend, 6, size.Rows, size.Columns));
        var losses = own(backend.Allocate(DType.Float32, size.Rows));
        var dlogits = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        var dtargets = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        return () => { backend.Kernels.CollisionCrossEntropyForwardBackward(logits, targets, losses, dlogits, dtargets); BenchmarkClock.Wait(dtargets); };
    });

    private static BenchmarkCase CrossEntropy(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var logits = own(BenchmarkData.Uniform(backend, 7, 4f, size.Rows, size.Columns));
        var targets = own(BenchmarkData.Distributions(backend, 8, size.Rows, size.Columns));
        var losses = own(backend.Allocate(DType.Float32, size.Rows));
        var dlogits = own(backend.Allocate(DType.Float32, size.Rows, size.Columns));
        return () => { backend.Kernels.CrossEntropyForwardBackward(logits, targets, losses, dlogits); BenchmarkClock.Wait(dlogits); };
    });

    private static BenchmarkCase EmStep(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var kernels = backend.Kernels;
        int k = checked((int)size.Columns);
        var probs = own(BenchmarkData.Distributions(backend, 9, size.Rows, size.Columns));
        var current = own(backend.Allocate(kernels.PseudoLabelIterateType, size.Rows, size.Columns));
        var next = own(backend.Allocate(kernels.PseudoLabelIterateType, size.Rows, size.Columns));
        var columnSums = own(HostVectors.Allocate(backend, k));
        var weights = own(HostVectors.Allocate(backend, k));
        var scratch = own(backend.Allocate(DType.Float64, backend.EmScratchElements(k)));
        kernels.PseudoLabelConvert(probs, current);
        kernels.PseudoLabelMoments(probs, current, columnSums, scratch);
        var sums = new double[k];
        var w = new double[k];
        var prior = new double[k];
        Array.Fill(prior, 1.0 / k);
        HostVectors.Read(columnSums, sums);
        SelfLabelObjective.Weights(sums, size.Rows, prior, 1.0, w);
        HostVectors.Write(weights, w);
        var priorTensor = own(HostVectors.Allocate(backend, k));
        HostVectors.Write(priorTensor, prior);
        var track = own(HostVectors.Allocate(backend, 1 + (2 * EmSolver.ReadEvery)));
        HostVectors.Write(track, new double[track.Length]);

        // Tolerance 0 never stops, so every timed iteration takes all its rows, as an unconverged solve's do.
        var tracking = new EmTracking(priorTensor, 1.0, 0, 0, track);
        return () => { kernels.EmTrackedStep(probs, current, weights, next, columnSums, scratch, tracking); BenchmarkClock.Wait(next); };
    });

    private static BenchmarkCase SelaPass(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var kernels = backend.Kernels;
        int k = checked((int)size.Columns);
        var logits = own(BenchmarkData.Uniform(backend, 10, 4f, size.Rows, size.Columns));
        var logR = own(HostVectors.Allocate(backend, k));
        var rowState = own(HostVectors.Allocate(backend, size.Rows));
        var rowMax = own(HostVectors.Allocate(backend, size.Rows));
        var columnSums = own(HostVectors.Allocate(backend, k));
        var scratch = own(backend.Allocate(DType.Float64, backend.ReductionScratchElements(k)));
        HostVectors.Write(logR, new double[k]);

        // The first pass's state: m_i = max_k z_ik and a_i = λ·(LSE_k z_ik − m_i), as the solver sets them.
        kernels.SinkhornRowLogSumExp(logits, 0, 1, null, 0, rowState, rowMax);
        var state = new double[size.Rows];
        HostVectors.Read(rowState, state);
        for (long i = 0; i < state.LongLength; i++)
        {
            state[i] *= SelaLambda;
        }

        HostVectors.Write(rowState, state);
        return () =>
        {
            kernels.SinkhornSelaPass(logits, 0, SelaLambda, rowMax, logR, rowState, columnSums, accumulate: false, measureError: false, scratch);
            BenchmarkClock.Wait(columnSums);
        };
    });

    private static BenchmarkCase Swav(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var scores = own(BenchmarkData.Uniform(backend, 11, 1f, size.Rows, size.Columns));
        var options = new SwavOptions(0.05, SwavIterations);
        return () =>
        {
            using var codes = Sinkhorn.Swav(scores, options);
            BenchmarkClock.Wait(codes);
        };
    });

    private static BenchmarkCase SelfClassifierLoss(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var logits = own(BenchmarkData.Uniform(backend, 12, 4f, Views, size.Rows, size.Columns));
        return () =>
        {
            var result = SelfClassifier.Compute(logits);
            BenchmarkClock.Wait(result.DLogits);
            result.DLogits.Dispose();
        };
    });

    private static BenchmarkCase AverageKThreshold(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var scores = own(BenchmarkData.Uniform(backend, 13, 4f, size.Rows, size.Columns));
        var labels = BenchmarkData.Labels(size.Rows, size.Columns);
        return () => AverageK.Threshold(scores, AverageSetSize, labels);
    });

    private static BenchmarkCase AverageKPseudoLabels(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var probs = own(BenchmarkData.Distributions(backend, 14, size.Rows, size.Columns));
        var labels = BenchmarkData.Labels(size.Rows, size.Columns);
        return () =>
        {
            using var targets = AverageK.PseudoLabels(probs, labels, AverageSetSize);
            BenchmarkClock.Wait(targets);
        };
    });

    private static BenchmarkCase TwoHeadLoss(Backend backend, BenchmarkSize size) => BenchmarkCase.Create(own =>
    {
        var softmaxLogits = own(BenchmarkData.Uniform(backend, 15, 4f, size.Rows, size.Columns));
        var multilabelLogits = own(BenchmarkData.Uniform(backend, 16, 4f, size.Rows, size.Columns));
        var labels = BenchmarkData.Labels(size.Rows, size.Columns);
        return () =>
        {
            var result = AverageK.TwoHeadLoss(softmaxLogits, multilabelLogits, labels, AverageSetSize);
            BenchmarkClock.Wait(result.DMultilabel);
            result.DSoftmax.Dispose();
            result.DMultilabel.Dispose();
        };
    });
}
