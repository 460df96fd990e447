using System.Numerics.Tensors;

namespace GpuSelfLabel.Clustering;

/// <summary>
/// Updates the head's parameters from their gradients. Weight decay is the L2 kind (λ·w added to the
/// gradient of weights, never of biases), as SGD and Adam in PyTorch apply it.
/// </summary>
internal abstract class HeadOptimizer
{
    protected HeadOptimizer(IReadOnlyList<HeadParameter> parameters, float weightDecay)
    {
        Parameters = parameters;
        WeightDecay = weightDecay;
    }

    protected IReadOnlyList<HeadParameter> Parameters { get; }

    protected float WeightDecay { get; }

    public static HeadOptimizer Create(ClusteringOptions options, IReadOnlyList<HeadParameter> parameters) => options.Optimizer switch
    {
        OptimizerKind.Adam => new AdamOptimizer(parameters, (float)options.WeightDecay),
        _ => new SgdOptimizer(parameters, (float)options.WeightDecay, (float)options.Momentum),
    };

    /// <summary>One update with learning rate <paramref name="rate"/>.</summary>
    public abstract void Step(float rate);

    /// <summary>The gradient with weight decay added, in <paramref name="scratch"/>.</summary>
    protected Span<float> DecayedGradient(HeadParameter parameter, Span<float> scratch)
    {
        if (!parameter.Decays || WeightDecay == 0)
        {
            return parameter.Gradient;
        }

        TensorPrimitives.MultiplyAdd(parameter.Value, WeightDecay, parameter.Gradient, scratch);
        return scratch;
    }
}
