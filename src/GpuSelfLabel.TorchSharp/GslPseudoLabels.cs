using GpuSelfLabel.TorchSharp.Interop;
using TorchSharp;

namespace GpuSelfLabel.TorchSharp;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The library's pseudo-label solvers on TorchSharp tensors. They take no part in autograd: inputs
/// are read as detached (straight from their memory, no copy for float32 C-contiguous tensors) and
/// the results never require a gradient. Inputs are float32 or float64 (computed in float32; soft
/// results come back in the input's dtype).
/// </summary>
public static class GslPseudoLabels
{
    /// <summary>
    /// EM pseudo-labels on the simplex (ops.md §4): minimises (1/N) Σ_i −ln(σ_i·y_i) + λ KL(u ‖ ȳ) over
    /// Y, starting from Y⁰ = σ, until max |y' − y| &lt; tol.
    /// </summary>
    /// <param name="probs">N×K predictions σ, rows on the simplex.</param>
    /// <param name="lambda">Fairness weight λ ≥ 0.</param>
    /// <param name="tol">Stopping tolerance ≥ 0 on the largest change of an entry; 0 never stops early (exactly max_iters iterations).</param>
    /// <param name="max_iters">Iteration limit, at least 1.</param>
    /// <returns>N×K soft pseudo-labels Y (one copy of the solver's result into a new tensor).</returns>
    public static Tensor em(Tensor probs, double lambda = 1.0, double tol = 1e-6, int max_iters = 1000)
    {
        var backend = Prepare(probs, nameof(probs), 2, "N×K");
        using var input = TorchInput.Of(probs, backend);
        using var result = TorchChecks.Named(() => PseudoLabels.Em(input.View, new PseudoLabelOptions(lambda, tol, max_iters)));
        var output = TorchMemory.Empty(probs, probs.shape);
        using (var outputView = TorchMemory.View(output, backend))
        {
            backend.Copy(result.Labels, outputView);
        }

        return TorchMemory.As(output, probs.dtype);
    }

    /// <summary>
    /// SeLa Sinkhorn-Knopp equipartition (ops.md §5) of N×K logits, or H independent heads given as
    /// H×N×K: hard labels with every cluster receiving about N/K samples.
    /// </summary>
    /// <param name="logits">N×K or H×N×K logits.</param>
    /// <param name="lambda">λ &gt; 0: P = σ^λ.</param>
    /// <param name="tol">The loop stops once Σ_i |c_i / c'_i − 1| ≤ tol; 0 never stops early (exactly max_iters iterations).</param>
    /// <param name="max_iters">Iteration limit, at least 1.</param>
    /// <returns>int64 labels: N, or H×N for H heads.</returns>
    public static Tensor sela(Tensor logits, double lambda = 25.0, double tol = 0.1, int max_iters = 1000)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Present(logits, nameof(logits));
        int rank = (int)logits.dim();
        var backend = Prepare(logits, nameof(logits), rank == 3 ? 3 : 2, rank == 3 ? "H×N×K" : "N×K");
        using var input = TorchInput.Of(logits, backend);
        using var result = TorchChecks.Named(() => Sinkhorn.SeLa(input.View, new SinkhornOptions(Lambda: lambda, Tolerance: tol, MaxIterations: max_iters)));
        var labels = torch.tensor(result.Labels, torch.ScalarType.Int64);
        if (rank == 3)
        {
            using var flat = labels;
            labels = flat.reshape(logits.shape[0], logits.shape[1]);
        }

        return logits.device_type == DeviceType.CPU ? labels : Moved(labels, logits.device);
    }

    /// <summary>
    /// SwAV's in-batch Sinkhorn-Knopp (ops.md §6): codes Q from B×K scores, exp(S/ε) alternately
    /// normalised over clusters and samples; every row of the result sums to 1.
    /// </summary>
    /// <param name="scores">B×K scores.</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="iterations">Number of column/row rounds, at least 0.</param>
    /// <returns>B×K codes.</returns>
    public static Tensor swav(Tensor scores, double epsilon = 0.05, int iterations = 3)
    {
        var backend = Prepare(scores, nameof(scores), 2, "B×K");
        using var input = TorchInput.Of(scores, backend);
        var output = TorchMemory.Empty(scores, scores.shape);
        try
        {
            using var outputView = TorchMemory.View(output, backend);
            TorchChecks.Named(() => Sinkhorn.SwavInto(input.View, outputView, new SwavOptions(epsilon, iterations)));
        }
        catch
        {
            output.Dispose();
            throw;
        }

        return TorchMemory.As(output, scores.dtype);
    }

    /// <summary>
    /// Average-K pseudo-labels (ops.md §8): Z_{i,y_i} = 1, then the round((K−1)·B) largest remaining
    /// probabilities of the batch set to 1 (ties: lower flat index first); exactly round(K·B) ones.
    /// </summary>
    /// <param name="probs">B×L softmax probabilities (rows on the simplex).</param>
    /// <param name="labels">B true class indices (int64) in [0, L).</param>
    /// <param name="k">Average set size K.</param>
    /// <returns>B×L 0/1 targets.</returns>
    public static Tensor average_k(Tensor probs, Tensor labels, double k)
    {
        var backend = Prepare(probs, nameof(probs), 2, "B×L");
        var classIndices = TorchChecks.Labels(labels, nameof(labels), probs.shape[0], probs.shape[1], probs, nameof(probs));
        using var input = TorchInput.Of(probs, backend);
        var output = TorchMemory.Empty(probs, probs.shape);
        try
        {
            using var outputView = TorchMemory.View(output, backend);
            AverageK.PseudoLabelsInto(input.View, classIndices, k, outputView);
        }
        catch
        {
            output.Dispose();
            throw;
        }

        return TorchMemory.As(output, probs.dtype);
    }

    private static Backends.Backend Prepare(Tensor tensor, string argument, int rank, string layout)
    {
        TorchSharpLoader.EnsureLoaded();
        TorchChecks.Floating(tensor, argument, rank, layout);
        return TorchBackends.For(tensor, argument);
    }

    private static Tensor Moved(Tensor labels, torch.Device device)
    {
        using (labels)
        {
            return labels.to(device);
        }
    }
}
