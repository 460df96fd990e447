using System.Numerics.Tensors;

namespace GpuSelfLabel.Clustering;

/// <summary>
/// The classifier trained by self-labeling: logits = x·W + b (linear), or with a hidden layer
/// logits = relu(x·W₁ + b₁)·W₂ + b₂. Weights are stored input-major (W is inputs×outputs, row-major),
/// so a batch's forward pass is one GEMM per layer, as are the two backward products.
/// </summary>
public sealed class ClassifierHead
{
    private readonly GemmProvider blas;
    private float[] hiddenActivations = [];
    private float[] hiddenGradient = [];

    internal ClassifierHead(int inputSize, int hiddenSize, int classes, GemmProvider blas)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Classes = classes;
        this.blas = blas;
        int outputInputs = hiddenSize > 0 ? hiddenSize : inputSize;
        var list = new List<HeadParameter>();
        if (hiddenSize > 0)
        {
            HiddenWeight = new float[checked(inputSize * hiddenSize)];
            HiddenBias = new float[hiddenSize];
            list.Add(new HeadParameter("hidden.weight", HiddenWeight, new float[HiddenWeight.Length], true));
            list.Add(new HeadParameter("hidden.bias", HiddenBias, new float[hiddenSize], false));
        }

        OutputWeight = new float[checked(outputInputs * classes)];
        OutputBias = new float[classes];
        list.Add(new HeadParameter("output.weight", OutputWeight, new float[OutputWeight.Length], true));
        list.Add(new HeadParameter("output.bias", OutputBias, new float[classes], false));
        Parameters = list;
    }

    /// <summary>D, the features per sample.</summary>
    public int InputSize { get; }

    /// <summary>Width of the hidden ReLU layer, 0 for a linear head.</summary>
    public int HiddenSize { get; }

    /// <summary>K, the number of clusters.</summary>
    public int Classes { get; }

    /// <summary>W₁ (D×H, row-major), or null for a linear head.</summary>
    public float[]? HiddenWeight { get; }

    /// <summary>b₁ (H), or null for a linear head.</summary>
    public float[]? HiddenBias { get; }

    /// <summary>The last layer's weights (D×K, or H×K after a hidden layer), row-major.</summary>
    public float[] OutputWeight { get; }

    /// <summary>The last layer's bias (K).</summary>
    public float[] OutputBias { get; }

    /// <summary>Inputs of the last layer per sample: H, or D for a linear head.</summary>
    internal int OutputInputs => HiddenSize > 0 ? HiddenSize : InputSize;

    internal IReadOnlyList<HeadParameter> Parameters { get; }

    /// <summary>Logits of every sample (N×K, row-major), computed in chunks so the hidden layer stays small.</summary>
    public float[] Logits(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != InputSize)
        {
            throw new GslArgumentException("features", $"has D = {features.Columns} columns but the head takes {InputSize}");
        }

        var logits = new float[(long)features.Rows * Classes];
        const int Chunk = 4096;
        for (int first = 0; first < features.Rows; first += Chunk)
        {
            int rows = Math.Min(Chunk, features.Rows - first);
            Forward(features.Values.AsSpan(first * InputSize, rows * InputSize), rows, logits.AsSpan(first * Classes, rows * Classes));
        }

        return logits;
    }

    /// <summary>The cluster of every sample: the argmax of its logits (the lowest index on ties).</summary>
    public int[] Predict(FeatureMatrix features) => ArgMax(Logits(features), Classes);

    internal static int[] ArgMax(ReadOnlySpan<float> logits, int classes)
    {
        var result = new int[logits.Length / classes];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes));
        }

        return result;
    }

    /// <summary>
    /// The inputs of the last layer for <paramref name="rows"/> samples: the features themselves for a
    /// linear head, relu(x·W₁ + b₁) otherwise (written to <paramref name="output"/>, rows×H).
    /// </summary>
    internal void HiddenLayer(ReadOnlySpan<float> x, int rows, Span<float> output)
    {
        Gemm.Multiply(false, false, rows, HiddenSize, InputSize, 1f, x, HiddenWeight, 0f, output, blas);
        for (int i = 0; i < rows; i++)
        {
            var row = output.Slice(i * HiddenSize, HiddenSize);
            TensorPrimitives.Add(row, HiddenBias, row);
            TensorPrimitives.Max(row, 0f, row);
        }
    }

    /// <summary>Logits of a batch; keeps the hidden activations for <see cref="Backward"/>.</summary>
    internal void Forward(ReadOnlySpan<float> x, int rows, Span<float> logits)
    {
        ReadOnlySpan<float> inputs = x;
        if (HiddenSize > 0)
        {
            Ensure(ref hiddenActivations, rows * HiddenSize);
            HiddenLayer(x, rows, hiddenActivations);
            inputs = hiddenActivations.AsSpan(0, rows * HiddenSize);
        }

        Gemm.Multiply(false, false, rows, Classes, OutputInputs, 1f, inputs, OutputWeight, 0f, logits, blas);
        for (int i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * Classes, Classes);
            TensorPrimitives.Add(row, OutputBias, row);
        }
    }

    /// <summary>
    /// Gradients of every parameter from ∂loss/∂logits of the batch last passed to
    /// <see cref="Forward"/> (same <paramref name="x"/>, same rows); overwrites the gradient buffers.
    /// </summary>
    internal void Backward(ReadOnlySpan<float> x, int rows, ReadOnlySpan<float> dlogits)
    {
        ReadOnlySpan<float> inputs = HiddenSize > 0 ? hiddenActivations.AsSpan(0, rows * HiddenSize) : x;
        var output = Parameters[^2];
        var outputBias = Parameters[^1];
        Gemm.Multiply(true, false, OutputInputs, Classes, rows, 1f, inputs, dlogits, 0f, output.Gradient, blas);
        ColumnSums(dlogits, rows, Classes, outputBias.Gradient);
        if (HiddenSize == 0)
        {
            return;
        }

        Ensure(ref hiddenGradient, rows * HiddenSize);
        var dh = hiddenGradient.AsSpan(0, rows * HiddenSize);
        Gemm.Multiply(false, true, rows, HiddenSize, Classes, 1f, dlogits, OutputWeight, 0f, dh, blas);
        for (int i = 0; i < dh.Length; i++)
        {
            // ReLU passes the gradient only where the unit was active.
            if (inputs[i] <= 0f)
            {
                dh[i] = 0f;
            }
        }

        Gemm.Multiply(true, false, InputSize, HiddenSize, rows, 1f, x, dh, 0f, Parameters[0].Gradient, blas);
        ColumnSums(dh, rows, HiddenSize, Parameters[1].Gradient);
    }

    /// <summary>Makes the last layer the nearest-centre classifier of <paramref name="centres"/> (K rows) at temperature T.</summary>
    internal void SetOutputToCentres(ReadOnlySpan<float> centres, double temperature)
    {
        int inputs = OutputInputs;
        for (int k = 0; k < Classes; k++)
        {
            var centre = centres.Slice(k * inputs, inputs);
            for (int j = 0; j < inputs; j++)
            {
                OutputWeight[(j * Classes) + k] = (float)(centre[j] / temperature);
            }

            OutputBias[k] = (float)(-TensorPrimitives.Dot(centre, centre) / (2 * temperature));
        }
    }

    private static void ColumnSums(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums)
    {
        sums.Clear();
        for (int i = 0; i < rows; i++)
        {
            TensorPrimitives.Add(sums, matrix.Slice(i * columns, columns), sums);
        }
    }

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
