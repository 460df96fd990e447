namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Inputs that reach every path of the interop: K = 2, K = 3000, one row, ±80 logits, a transposed
/// (non-contiguous) view, a row slice with a storage offset, and float64. Each is a leaf tensor plus
/// the view of it the operation receives, so a gradient is checked on the leaf either way.
/// </summary>
internal sealed record Input(Tensor Leaf, Func<Tensor, Tensor> View)
{
    public static readonly string[] Shapes = ["k2", "k3000", "one-row", "extreme", "strided", "offset", "float64"];

    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var shape in Shapes)
            {
                data.Add(shape);
            }

            return data;
        }
    }

    /// <summary>Logits of the named case (seeded by <paramref name="seed"/>).</summary>
    public static Input Logits(string shape, long seed = 1)
    {
        torch.manual_seed(seed);
        return shape switch
        {
            "k2" => Plain(torch.randn(64, 2) * 3),
            "k3000" => Plain(torch.randn(6, 3000) * 3),
            "one-row" => Plain(torch.randn(1, 17) * 3),
            "extreme" => Plain(torch.randn(16, 10).sign() * 80),
            "strided" => new Input(torch.randn(12, 33) * 3, t => t.t()),
            "offset" => new Input(torch.randn(40, 7) * 3, t => t.narrow(0, 10, 20)),
            "float64" => Plain(torch.randn(20, 9, torch.ScalarType.Float64) * 3),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
    }

    /// <summary>Strictly positive soft targets laid out like the logits of the same case.</summary>
    public static Input Targets(string shape, long seed = 2)
    {
        var logits = Logits(shape, seed);
        using var noGrad = torch.no_grad();
        var view = logits.View(logits.Leaf);

        // Rows of the view sum to 1 and no entry underflows (the float64 reference takes ln y); the
        // leaf holds them in its own layout.
        var rows = torch.softmax(view.clamp(-30, 30), 1);
        var leaf = torch.zeros_like(logits.Leaf);
        logits.View(leaf).copy_(rows);
        return new Input(leaf, logits.View);
    }

    /// <summary>The leaf, requiring a gradient, and the view of it.</summary>
    public (Tensor Leaf, Tensor View) Grad(bool requiresGrad = true)
    {
        var leaf = Leaf.detach().clone().requires_grad_(requiresGrad);
        return (leaf, View(leaf));
    }

    /// <summary>A float64 copy of the leaf, requiring a gradient, and the same view of it.</summary>
    public (Tensor Leaf, Tensor View) Grad64(bool requiresGrad = true)
    {
        var leaf = Torch64.Leaf(Leaf, requiresGrad);
        return (leaf, View(leaf));
    }

    private static Input Plain(Tensor tensor) => new(tensor, t => t);
}
