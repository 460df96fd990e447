using System.Numerics.Tensors;

namespace GpuSelfLabel.Clustering;

/// <summary>Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) with bias-corrected moments.</summary>
internal sealed class AdamOptimizer : HeadOptimizer
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;
    private readonly float[][] first;
    private readonly float[][] second;
    private readonly float[][] scratch;
    private int steps;

    public AdamOptimizer(IReadOnlyList<HeadParameter> parameters, float weightDecay)
        : base(parameters, weightDecay)
    {
        first = parameters.Select(p => new float[p.Value.Length]).ToArray();
        second = parameters.Select(p => new float[p.Value.Length]).ToArray();
        scratch = parameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    public override void Step(float rate)
    {
        steps++;
        float correction1 = 1 - MathF.Pow(Beta1, steps);
        float correction2 = 1 - MathF.Pow(Beta2, steps);
        float stepSize = rate * MathF.Sqrt(correction2) / correction1;
        for (int p = 0; p < Parameters.Count; p++)
        {
            var parameter = Parameters[p];
            var g = DecayedGradient(parameter, parameter.Gradient);
            var m = first[p];
            var v = second[p];
            var s = scratch[p].AsSpan();
            TensorPrimitives.Multiply(m, Beta1, m);
            TensorPrimitives.MultiplyAdd(g, 1 - Beta1, m, m);
            TensorPrimitives.Multiply(g, g, s);
            TensorPrimitives.Multiply(v, Beta2, v);
            TensorPrimitives.MultiplyAdd(s, 1 - Beta2, v, v);
            TensorPrimitives.Sqrt(v, s);
            TensorPrimitives.Add(s, Epsilon * MathF.Sqrt(correction2), s);
            TensorPrimitives.Divide(m, s, s);
            TensorPrimitives.MultiplyAdd(s, -stepSize, parameter.Value, parameter.Value);
        }
    }
}
