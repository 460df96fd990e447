using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Clustering;

/// <summary>
/// The library's loss and pseudo-label facades applied to host arrays: each call uploads its
/// inputs to the chosen backend, runs the public operation (validation included) and copies the
/// results back. Clustering keeps its head on the host (the GEMMs), so this is the one place where
/// training meets the kernels of ops.md.
/// </summary>
internal sealed class LossEngine(Backend backend)
{
    public Backend Backend { get; } = backend;

    /// <summary>σ = softmax(logits) row-wise (ops.md §1).</summary>
    public void Softmax(ReadOnlySpan<float> logits, int rows, int k, Span<float> probs)
    {
        using var z = Backend.FromArray(logits, rows, k);
        using var sigma = GpuSelfLabel.Softmax.Forward(z);
        Backend.CopyToHost(sigma, probs);
    }

    /// <summary>Mean collision cross-entropy (§2) and ∂L/∂z.</summary>
    public double CollisionCe(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int k, Span<float> dlogits)
    {
        using var z = Backend.FromArray(logits, rows, k);
        using var y = Backend.FromArray(targets, rows, k);
        using var result = CollisionCrossEntropy.Compute(z, y);
        Backend.CopyToHost(result.DLogits, dlogits[..(rows * k)]);
        return result.Loss;
    }

    /// <summary>Mean Shannon cross-entropy with soft targets (§3) and ∂L/∂z.</summary>
    public double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int k, Span<float> dlogits)
    {
        using var z = Backend.FromArray(logits, rows, k);
        using var y = Backend.FromArray(targets, rows, k);
        using var result = GpuSelfLabel.CrossEntropy.Compute(z, y);
        Backend.CopyToHost(result.DLogits, dlogits[..(rows * k)]);
        return result.Loss;
    }

    /// <summary>EM pseudo-labels (§4) for σ, from <paramref name="init"/> (σ when null); returns the iterations and the final F.</summary>
    public (int Iterations, double Objective) Em(float[] probs, float[]? init, int rows, int k, double lambda, int maxIterations, float[] labels)
    {
        using var sigma = Backend.FromArray(probs, rows, k);
        using var start = init is null ? null : Backend.FromArray(init, rows, k);
        using var result = PseudoLabels.Em(sigma, new PseudoLabelOptions(lambda, MaxIterations: maxIterations, Init: start));
        Backend.CopyToHost(result.Labels, labels);
        return (result.Iterations, result.Objective[^1]);
    }

    /// <summary>SeLa hard labels (§5) with exponent λ.</summary>
    public long[] SeLa(float[] logits, int rows, int k, double lambda)
    {
        using var z = Backend.FromArray(logits, rows, k);
        using var result = Sinkhorn.SeLa(z, new SinkhornOptions(lambda));
        return result.Labels;
    }

    /// <summary>SwAV codes (§6) of a batch's scores.</summary>
    public void Swav(ReadOnlySpan<float> scores, int rows, int k, double epsilon, int iterations, Span<float> codes)
    {
        using var s = Backend.FromArray(scores, rows, k);
        using var q = Sinkhorn.Swav(s, new SwavOptions(epsilon, iterations));
        Backend.CopyToHost(q, codes);
    }

    /// <summary>Self-Classifier loss (§7) over V views of a batch, and ∂Loss/∂S for every view.</summary>
    public double SelfClassifier(ReadOnlySpan<float> logits, int views, int rows, int k, Span<float> dlogits)
    {
        using var z = Backend.FromArray(logits, views, rows, k);
        using var result = GpuSelfLabel.SelfClassifier.Compute(z);
        Backend.CopyToHost(result.DLogits, dlogits[..(views * rows * k)]);
        return result.Loss;
    }
}
