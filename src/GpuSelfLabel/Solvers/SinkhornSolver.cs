using System.Diagnostics;
using System.Runtime.InteropServices;
using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Solvers;

/// <summary>
/// The backend-neutral loop of ops.md §5, run head by head, every pass streamed over the chunks of an
/// <see cref="ISinkhornRowSource"/>. It follows the spec's iteration literally, in the log domain:
/// with m_i = max_k z_ik, L_i = LSE_k z_ik − m_i and a_i = LSE_k(λ·(z_ik − m_i) + log r_k),
/// <list type="bullet">
/// <item>log c'_i = −log N + λ·L_i − a_i, so c_i / c'_i = exp(a_i − a_i^previous) (a^previous = λ·L before
/// the first pass, when c = 1/N);</item>
/// <item>Σ_i P_ik c'_i = Σ_i q_ik / (N r_k) with q_i = softmax_k(λ·(z_i − m_i) + log r), so the next
/// log r_k = log N − log K + log r_k − log Σ_i q_ik.</item>
/// </list>
/// Every row is taken relative to its own maximum, as the spec's λ(z − LSE z) is, so that a row's
/// magnitude (logits near 1e15) never enters a float64 sum beside the O(1) terms that split its ties.
/// One fused pass per iteration thus reads the logits once and yields c', the error and the next r;
/// the chunks of a pass fold their column sums into the same K-vector. The very first r (from c = 1/N)
/// and any r whose column sum Σ_i q_ik underflows come from a column log-sum-exp pass instead, which
/// has no underflow. Cancellation is honoured between chunks; progress is reported after each.
/// </summary>
internal sealed class SinkhornSolver
{
    private readonly IBackendKernels kernels;
    private readonly ISinkhornRowSource source;
    private readonly SinkhornOptions options;
    private readonly SinkhornMemoryPlan plan;
    private readonly IProgress<SinkhornProgress>? progress;
    private readonly CancellationToken cancellation;
    private readonly double logRows;
    private readonly double logColumns;
    private readonly bool scoresFromFeatures;
    private int head;
    private int iteration;
    private double error;

    private SinkhornSolver(SinkhornProblem problem, ISinkhornRowSource source, SinkhornMemoryPlan plan, SinkhornOptions options, IProgress<SinkhornProgress>? progress, CancellationToken cancellation)
    {
        kernels = problem.Backend.Kernels;
        this.source = source;
        this.plan = plan;
        this.options = options;
        this.progress = progress;
        this.cancellation = cancellation;
        logRows = Math.Log(problem.Rows);
        logColumns = Math.Log(problem.Columns);
        scoresFromFeatures = problem.Kind == SinkhornSourceKind.Features;
    }

    public static SinkhornResult Solve(SinkhornProblem problem, SinkhornMemoryPlan plan, SinkhornOptions options, IProgress<SinkhornProgress>? progress, CancellationToken cancellation)
    {
        var backend = problem.Backend;
        int heads = problem.Heads;
        long n = problem.Rows;
        int k = checked((int)problem.Columns);
        var owned = new List<Tensor>();
        try
        {
            var logROut = Track(owned, backend.Allocate(DType.Float32, heads, k));
            var logCOut = Track(owned, backend.Allocate(DType.Float32, heads, n));
            var codes = options.ComputeCodes ? Track(owned, backend.Allocate(DType.Float32, heads, n, k)) : null;
            using var labels = backend.Allocate(DType.Int64, heads, n);
            var iterations = new int[heads];
            var converged = new bool[heads];
            using (var source = SinkhornPlanner.Open(problem, plan))
            {
                var solver = new SinkhornSolver(problem, source, plan, options, progress, cancellation);
                using var state = new HeadState(backend, n, k);
                for (int h = 0; h < heads; h++)
                {
                    (iterations[h], converged[h]) = solver.SolveHead(h, state, TensorViews.Slice(logROut, h), TensorViews.Slice(logCOut, h),
                        TensorViews.Slice(labels, h), codes is null ? null : TensorViews.Slice(codes, h));
                }
            }

            var labelValues = new long[heads * n];
            backend.Download(labels.Buffer, labels.ByteOffset, MemoryMarshal.AsBytes(labelValues.AsSpan()));
            return new SinkhornResult(heads, labelValues, logROut, logCOut, iterations, converged, codes);
        }
        catch
        {
            foreach (var tensor in owned)
            {
                tensor.Dispose();
            }

            throw;
        }
    }

    private static Tensor Track(List<Tensor> owned, Tensor tensor)
    {
        owned.Add(tensor);
        return tensor;
    }

    /// <summary>Solves head <paramref name="h"/>; returns its iteration count and whether its last measured error reached tol.</summary>
    private (int Iterations, bool Converged) SolveHead(int h, HeadState s, Tensor logROut, Tensor logCOut, Tensor labels, Tensor? codes)
    {
        head = h;
        iteration = 0;
        error = double.PositiveInfinity;
        double lambda = options.Lambda;

        // P's normaliser is λ·LSE_k z_ik (not LSE_k λ·z_ik). a^previous = λ·L_i makes the t = 0 error
        // term exp(a_i − λ·L_i) = c_i / c'_i with c = 1/N. The setup pass writes m_i and L_i apart.
        Pass(SinkhornPhase.Setup, (chunk, first, _) =>
        {
            kernels.SinkhornRowLogSumExp(chunk, first, 1, null, 0, s.RowLse, s.RowMax);
            return 0;
        });
        HostVectors.Read(s.RowLse, s.RowValues);
        if (scoresFromFeatures)
        {
            CheckScores(s);
        }

        for (long i = 0; i < s.RowValues.Length; i++)
        {
            s.RowValues[i] *= lambda;
        }

        HostVectors.Write(s.RowLse, s.RowValues);
        HostVectors.Write(s.RowState, s.RowValues);

        // r_k = (1/K) / Σ_i P_ik (1/N), i.e. log r_k = log N − log K − LSE_i(λ(z_ik − m_i) − λ·L_i).
        ColumnLogSumExp(SinkhornPhase.Setup, s, s.RowLse);

        // Between checks the iterations run on the device alone: each pass is followed by the device's
        // update of r (SinkhornSelaLogR), with no host round trip. That update cannot recompute a column
        // whose sum underflowed; it only raises the status flag, which is read where the error is read
        // anyway (every CheckEvery iterations and at the last). A raised flag sends the solve back to
        // the last verified state, from where those iterations are redone checking every update, so
        // the result is the one a host-driven loop gives.
        HostVectors.Write(s.Status, [0]);
        var verified = Save(s, pending: false);
        int careful = 0;
        bool pending = false;

        // tol = 0 means: never stop early, run exactly MaxIterations (an error of exactly 0 included).
        bool Unconverged() => options.Tolerance == 0 || error > options.Tolerance;
        while (Unconverged() && iteration < options.MaxIterations)
        {
            if (pending)
            {
                NextLogR(s, checkNow: iteration < careful);
            }

            bool check = iteration % options.CheckEvery == 0;
            var clock = Stopwatch.StartNew();
            double measured = Pass(SinkhornPhase.Iteration, (chunk, first, firstChunk) =>
                kernels.SinkhornSelaPass(chunk, first, lambda, s.RowMax, s.LogRDevice, s.RowState, s.ColumnSums, accumulate: !firstChunk, measureError: check, s.Scratch), report: false);
            iteration++;
            pending = true;
            if (check || iteration == options.MaxIterations)
            {
                if (UntrustedSumSeen(s))
                {
                    careful = iteration;
                    (pending, double savedError) = Restore(s, verified);
                    error = savedError;
                    continue;
                }

                if (check)
                {
                    error = measured;
                }

                verified = Save(s, pending);
            }

            Report(SinkhornPhase.Iteration, plan.Rows, clock.Elapsed.TotalSeconds, completed: true);
        }

        // LogRDevice still holds the r of the last pass, the one the final c was computed from.
        Pass(SinkhornPhase.Finalize, (chunk, first, _) =>
        {
            var chunkCodes = codes is null ? null : TensorViews.Rows(codes, first, chunk.Rows);
            kernels.SinkhornSelaFinalize(chunk, first, lambda, s.RowMax, s.LogRDevice, s.RowLse, s.RowState, logRows, logCOut, labels, chunkCodes);
            return 0;
        });
        HostVectors.Read(s.LogRDevice, s.LogR);
        var single = new float[s.LogR.Length];
        for (int j = 0; j < single.Length; j++)
        {
            single[j] = (float)s.LogR[j];
        }

        logROut.Backend.CopyFromHost(single, logROut);
        return (iteration, options.Tolerance > 0 && error <= options.Tolerance);
    }

    /// <summary>
    /// Scores recomputed from features are checked here, from the setup pass's row maxima and log-sums
    /// (an infinite or NaN score makes them non-finite): logits given as a matrix were checked on entry,
    /// but features·weights + bias can overflow float32 from finite inputs, and the solve would then
    /// return NaN codes and all-zero labels.
    /// </summary>
    private static void CheckScores(HeadState s)
    {
        var maxima = new double[s.RowValues.Length];
        HostVectors.Read(s.RowMax, maxima);
        for (long i = 0; i < maxima.LongLength; i++)
        {
            if (!double.IsFinite(maxima[i]) || !double.IsFinite(s.RowValues[i]))
            {
                throw new GslArgumentException("features", $"its scores (features·weights + bias) are not finite in float32 (largest {maxima[i]}); scale the features or the classifier down", i);
            }
        }
    }

    /// <summary>
    /// The next r from the last pass's column sums, on the device. With <paramref name="checkNow"/> (while
    /// redoing iterations after an underflowed sum) the status is read at once and, if raised, r is
    /// recomputed from a column log-sum-exp pass, which has no underflow.
    /// </summary>
    private void NextLogR(HeadState s, bool checkNow)
    {
        kernels.SinkhornSelaLogR(s.ColumnSums, logRows - logColumns, options.SmallestTrustedColumnSum, s.LogRDevice, s.Status);
        if (checkNow && UntrustedSumSeen(s))
        {
            // log r_k = log N − log K − LSE_i(λ·(z_ik − m_i) − a_i): the same update with no exponential to underflow.
            ColumnLogSumExp(SinkhornPhase.Recovery, s, s.RowState);
            HostVectors.Write(s.Status, [0]);
        }
    }

    /// <summary>Whether an update of r since the status was last cleared met an untrusted column sum (a host round trip).</summary>
    private static bool UntrustedSumSeen(HeadState s)
    {
        Span<double> status = stackalloc double[1];
        HostVectors.Read(s.Status, status);
        return status[0] != 0;
    }

    /// <summary>
    /// Copies the state a pass depends on (a, r, and the last pass's column sums) on the device, with the
    /// backends' float64-to-float64 copy (PseudoLabelConvert between two float64 tensors).
    /// </summary>
    private Verified Save(HeadState s, bool pending)
    {
        kernels.PseudoLabelConvert(s.RowState, s.SavedRowState);
        kernels.PseudoLabelConvert(s.LogRDevice, s.SavedLogR);
        kernels.PseudoLabelConvert(s.ColumnSums, s.SavedColumnSums);
        return new Verified(iteration, error, pending);
    }

    /// <summary>Returns to a saved state with the status cleared; gives back whether an update of r is pending there, and the error then.</summary>
    private (bool Pending, double Error) Restore(HeadState s, Verified verified)
    {
        kernels.PseudoLabelConvert(s.SavedRowState, s.RowState);
        kernels.PseudoLabelConvert(s.SavedLogR, s.LogRDevice);
        kernels.PseudoLabelConvert(s.SavedColumnSums, s.ColumnSums);
        HostVectors.Write(s.Status, [0]);
        iteration = verified.Iteration;
        return (verified.Pending, verified.Error);
    }

    /// <summary>log r_k = log N − log K − LSE_i(λ·(z_ik − m_i) − rowShift_i), over every chunk, into the device's r.</summary>
    private void ColumnLogSumExp(SinkhornPhase phase, HeadState s, Tensor rowShift)
    {
        Pass(phase, (chunk, first, firstChunk) =>
        {
            kernels.SinkhornColumnLogSumExp(chunk, first, options.Lambda, s.RowMax, rowShift, logColumns - logRows, s.ColumnSums, accumulate: !firstChunk, s.Scratch);
            return 0;
        });
        HostVectors.Read(s.ColumnSums, s.LogR);
        for (int j = 0; j < s.LogR.Length; j++)
        {
            s.LogR[j] = -s.LogR[j];
        }

        HostVectors.Write(s.LogRDevice, s.LogR);
    }

    /// <summary>
    /// One pass over the current head: <paramref name="body"/>(chunk, first row, is first chunk) for each
    /// chunk in row order, the sum of what it returns. Stops with <see cref="OperationCanceledException"/>
    /// between chunks when cancelled. The completing report is left to the caller when
    /// <paramref name="report"/> is false (an iteration reports once its error and count are updated).
    /// </summary>
    private double Pass(SinkhornPhase phase, Func<Tensor, long, bool, double> body, bool report = true)
    {
        var clock = Stopwatch.StartNew();
        long rows = plan.Rows;
        double total = 0;
        for (long first = 0; first < rows; first += plan.ChunkRows)
        {
            cancellation.ThrowIfCancellationRequested();
            long count = Math.Min(plan.ChunkRows, rows - first);
            total += body(source.Rows(head, first, count), first, first == 0);
            Report(phase, first + count, clock.Elapsed.TotalSeconds, completed: false);
        }

        if (report)
        {
            Report(phase, rows, clock.Elapsed.TotalSeconds, completed: true);
        }

        return total;
    }

    private void Report(SinkhornPhase phase, long rowsDone, double seconds, bool completed) =>
        progress?.Report(new SinkhornProgress(head, plan.Heads, phase, iteration, options.MaxIterations, error, rowsDone, plan.Rows, seconds, completed));

    /// <summary>A verified point of the loop: the iteration count, the error then, and whether an update of r was pending.</summary>
    private readonly record struct Verified(int Iteration, double Error, bool Pending);

    /// <summary>The per-head vectors and the passes' scratch, allocated once per solve and reused by every head.</summary>
    private sealed class HeadState : IDisposable
    {
        public HeadState(Backend backend, long rows, int columns)
        {
            LogRDevice = HostVectors.Allocate(backend, columns);
            ColumnSums = HostVectors.Allocate(backend, columns);
            RowMax = HostVectors.Allocate(backend, rows);
            RowLse = HostVectors.Allocate(backend, rows);
            RowState = HostVectors.Allocate(backend, rows);
            Scratch = backend.Allocate(DType.Float64, backend.ReductionScratchElements(columns));
            Status = HostVectors.Allocate(backend, 1);
            SavedRowState = HostVectors.Allocate(backend, rows);
            SavedLogR = HostVectors.Allocate(backend, columns);
            SavedColumnSums = HostVectors.Allocate(backend, columns);
            LogR = new double[columns];
            RowValues = new double[rows];
        }

        public Tensor LogRDevice { get; }

        public Tensor ColumnSums { get; }

        /// <summary>m_i = max_k z_ik, which every SeLa pass subtracts before scaling by λ.</summary>
        public Tensor RowMax { get; }

        public Tensor RowLse { get; }

        public Tensor RowState { get; }

        /// <summary>The passes' reduction partials: allocated once per solve, reused by every head, iteration and chunk.</summary>
        public Tensor Scratch { get; }

        /// <summary>status[0] ≠ 0 once an update of r met an untrusted column sum (SinkhornSelaLogR).</summary>
        public Tensor Status { get; }

        /// <summary>The last verified state: a, r and the column sums, copied on the device.</summary>
        public Tensor SavedRowState { get; }

        public Tensor SavedLogR { get; }

        public Tensor SavedColumnSums { get; }

        public double[] LogR { get; }

        public double[] RowValues { get; }

        public void Dispose()
        {
            LogRDevice.Dispose();
            ColumnSums.Dispose();
            RowMax.Dispose();
            RowLse.Dispose();
            RowState.Dispose();
            Scratch.Dispose();
            Status.Dispose();
            SavedRowState.Dispose();
            SavedLogR.Dispose();
            SavedColumnSums.Dispose();
        }
    }
}
