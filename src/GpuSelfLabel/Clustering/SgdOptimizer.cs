using System.Numerics.Tensors;

namespace GpuSelfLabel.Clustering;

/// <summary>Heavy-ball SGD: v ← μ·v + g, w ← w − η·v (v starts at 0).</summary>
internal sealed class SgdOptimizer : HeadOptimizer
{
    private readonly float momentum;
    private readonly float[][] velocity;

    public SgdOptimizer(IReadOnlyList<HeadParameter> parameters, float weightDecay, float momentum)
        : base(parameters, weightDecay)
    {
        this.momentum = momentum;
        velocity = parameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    public override void Step(float rate)
    {
        for (int p = 0; p < Parameters.Count; p++)
        {
            var parameter = Parameters[p];
            var v = velocity[p];
            var g = DecayedGradient(parameter, parameter.Gradient);
            TensorPrimitives.MultiplyAdd(v, momentum, g, v);
            TensorPrimitives.MultiplyAdd(v, -rate, parameter.Value, parameter.Value);
        }
    }
}
