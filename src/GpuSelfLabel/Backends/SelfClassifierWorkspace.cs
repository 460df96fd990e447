namespace GpuSelfLabel.Backends;

/// <summary>
/// Sizes, parameters and scratch of one Self-Classifier evaluation (ops.md §7), handed to every pass
/// of <see cref="IBackendKernels"/>. Logits are V×N×C (row v·N + n is sample n of view v).
/// Statistics that later passes subtract from one another are float64 values stored as float32
/// pairs (hi, lo) with value = hi + lo, in tensors of shape (2, V, X): plain float32 there would
/// break the gradient's column and row sums near saturation (τ_c = 0.05 multiplies every error by 20).
/// </summary>
internal sealed class SelfClassifierWorkspace : IDisposable
{
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
        RowMax = backend.Allocate(DType.Float32, views, samples);
        RowLogSum = backend.Allocate(DType.Float32, 2, views, samples);
        ColumnMax = backend.Allocate(DType.Float32, views, classes);
        ColumnLogSum = backend.Allocate(DType.Float32, 2, views, classes);
        ColumnSumR = backend.Allocate(DType.Float32, 2, views, classes);
        ColumnH = backend.Allocate(DType.Float32, 2, views, classes);
        ColumnK = backend.Allocate(DType.Float32, 2, views, classes);
        RowLogSumA = backend.Allocate(DType.Float32, 2, views, samples);
        RowDot = backend.Allocate(DType.Float32, 2, views, samples);
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

    /// <summary>Every scratch tensor, in a fixed order (host staging copies them one by one).</summary>
    public IReadOnlyList<Tensor> Scratch => [RowMax, RowLogSum, ColumnMax, ColumnLogSum, ColumnSumR, ColumnH, ColumnK, RowLogSumA, RowDot];

    public void Dispose()
    {
        foreach (var tensor in Scratch)
        {
            tensor.Dispose();
        }
    }
}
