namespace GpuSelfLabel.Clustering;

/// <summary>One trainable array of the head with its gradient buffer.</summary>
/// <param name="Name">"hidden.weight", "hidden.bias", "output.weight" or "output.bias".</param>
/// <param name="Value">The values, row-major.</param>
/// <param name="Gradient">∂loss/∂value from the last backward pass.</param>
/// <param name="Decays">Whether weight decay applies (weights yes, biases no).</param>
internal sealed record HeadParameter(string Name, float[] Value, float[] Gradient, bool Decays);
