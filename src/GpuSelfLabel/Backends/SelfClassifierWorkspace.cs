namespace GpuSelfLabel.Backends;

/// <summary>
/// Sizes, parameters and scratch of one Self-Classifier evaluation (ops.md §7), handed to every pass
/// of <see cref="IBackendKernels"/>. Logits are V×N×C (row v·N + n is sample n of view v).
/// Statistics that later passes subtract from one another are float64 values stored as float32
/// pairs (hi, lo) with value = hi + lo, in tensors of shape (2, V, X): plain float32 there would
/// break the gradient's column and row sums near saturation (τ_c = 0.05 multiplies every error by 20).
/// Every tensor here is a view of one device allocation, made once per evaluation (its size is known
/// from the shape) and freed once: no pass allocates device memory (CUB's habit).
/// </summary>
internal sealed class SelfClassifierWorkspace : IDisposable
{
    private readonly Tensor memory;

    public SelfClassifierWorkspace(Backend backend, int views, long samples, long classes, int globalViews, double tauRow, double tauCol, double epsilon)
    {
        Epsilon = epsilon;
        Views = views;
        Samples = samples;
        Classes = classes;
        GlobalViews = globalViews;
        TauRow = tauRow;
        TauCol = tauCol;
        int local = views - globalViews;
        Pairs = ((long)views * (views - 1)) - ((long)local * (local - 1));

        var layout = new ScratchLayout();
        var parts = new List<(long Offset, DType DType, long[] Shape)>();
        int Add(DType dtype, params long[] shape)
        {
            long elements = 1;
            foreach (long d in shape)
            {
                elements = checked(elements * d);
            }

            parts.Add((layout.Add(checked(elements * dtype.SizeInBytes())), dtype, shape));
            return parts.Count - 1;
        }

        int[] statistics =
        [
            Add(DType.Float32, views, samples),
            Add(DType.Float32, 2, views, samples),
            Add(DType.Float32, views, classes),
            Add(DType.Float32, 2, views, classes),
            Add(DType.Float32, 2, views, classes),
            Add(DType.Float32, 2, views, classes),
            Add(DType.Float32, 2, views, classes),
            Add(DType.Float32, 2, views, samples),
            Add(DType.Float32, 2, views, samples),
        ];
        int partials = Add(DType.Float64, backend.SelfClassifierScratchElements(views, samples, classes));
        int scan = Add(DType.Float64, backend.ScanScratchElements(views * samples));
        memory = backend.Allocate(DType.Float64, layout.Elements);
        Tensor View(int index) => memory.View(parts[index].DType, parts[index].Shape, parts[index].Offset);

        RowMax = View(statistics[0]);
        RowLogSum = View(statistics[1]);
        ColumnMax = View(statistics[2]);
        ColumnLogSum = View(statistics[3]);
        ColumnSumR = View(statistics[4]);
        ColumnH = View(statistics[5]);
        ColumnK = View(statistics[6]);
        RowLogSumA = View(statistics[7]);
        RowDot = View(statistics[8]);
        Partials = View(partials);
        Scan = View(scan);
    }

    /// <summary>V ≥ 2.</summary>
    public int Views { get; }

    /// <summary>N ≥ 1.</summary>
    public long Samples { get; }

    /// <summary>C ≥ 2.</summary>
    public long Classes { get; }

    /// <summary>G in [1, V]: views below G are global.</summary>
    public int GlobalViews { get; }

    public double TauRow { get; }

    public double TauCol { get; }

    /// <summary>ε of ops.md §7 (<see cref="SelfClassifierOptions.Epsilon"/>): floor of the row and column normalisers and offset inside the logarithm.</summary>
    public double Epsilon { get; }

    /// <summary>Ordered pairs (i, j), i ≠ j, not both local: V(V−1) − L(L−1) with L = V − G.</summary>
    public long Pairs { get; }

    /// <summary>(V, N): max_y S^v_ny, the shift of the row softmax R.</summary>
    public Tensor RowMax { get; }

    /// <summary>(2, V, N) pairs: ln Σ_y exp((S^v_ny − RowMax)/τ_r).</summary>
    public Tensor RowLogSum { get; }

    /// <summary>(V, C): max_n S^v_ny, the shift of the column softmax A.</summary>
    public Tensor ColumnMax { get; }

    /// <summary>(2, V, C) pairs: ln Σ_n exp((S^v_ny − ColumnMax)/τ_c).</summary>
    public Tensor ColumnLogSum { get; }

    /// <summary>(2, V, C) pairs: r^v_y = Σ_n R^v_ny, the column normaliser of P.</summary>
    public Tensor ColumnSumR { get; }

    /// <summary>(2, V, C) pairs: Σ_n H^v_ny with H = A ⊙ ∂Loss/∂A (the column-softmax backward needs it).</summary>
    public Tensor ColumnH { get; }

    /// <summary>(2, V, C) pairs: Σ_n K^v_ny with K = P ⊙ ∂Loss/∂P (the column-normaliser backward needs it).</summary>
    public Tensor ColumnK { get; }

    /// <summary>
    /// (2, V, N) pairs: ln a^v_n = ln Σ_y A^v_ny, unclamped (T = A / max(a, ε)). Written by the GPU
    /// backends' pass 3 and read by their passes 3 and 4, which serve all views of a sample from it;
    /// the CPU backend recomputes it per sample instead and leaves it unwritten.
    /// </summary>
    public Tensor RowLogSumA { get; }

    /// <summary>
    /// (2, V, N) pairs: [a^v_n ≥ ε]·Σ_y GT^v_ny T^v_ny, the row dot of the target's backward pass.
    /// Written by the GPU backends' pass 3 for their pass 4; the CPU backend recomputes it instead.
    /// </summary>
    public Tensor RowDot { get; }

    /// <summary>
    /// Float64 scratch of Backend.SelfClassifierScratchElements(V, N, C) elements for the GPU passes'
    /// column partials (passes 2 and 3) and loss partials (pass 3); the CPU keeps its own in managed memory.
    /// </summary>
    public Tensor Partials { get; }

    /// <summary>Scan scratch of the finiteness check of the V·N logit rows (Backend.ScanScratchElements).</summary>
    public Tensor Scan { get; }

    /// <summary>Frees the one allocation every tensor here views.</summary>
    public void Dispose() => memory.Dispose();
}
