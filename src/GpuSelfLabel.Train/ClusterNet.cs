using static TorchSharp.torch.nn;

namespace GpuSelfLabel.Train;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// A trunk (MLP or small convnet) to a 128-d embedding and one or more linear heads to K cluster
/// logits. With <c>cosine</c> a head scores the L2-normalised embedding against L2-normalised
/// prototypes (SwAV's form; scores in [−1, 1]). Several heads share the trunk and are trained
/// together (as SeLa does), each from its own random start; <see cref="Head"/> picks the one that
/// <see cref="forward"/> and prediction use.
/// </summary>
internal sealed class ClusterNet : Module<Tensor, Tensor>
{
    private const int Embedding = 128;
    private readonly Module<Tensor, Tensor> trunk;
    private readonly global::TorchSharp.Modules.ModuleList<global::TorchSharp.Modules.Linear> heads;
    private readonly bool cosine;

    public ClusterNet(string network, int[] shape, int k, bool cosine, int headCount = 1) : base("ClusterNet")
    {
        this.cosine = cosine;
        trunk = network == "convnet" ? ConvNet(shape) : Mlp(shape);
        heads = ModuleList(Enumerable.Range(0, headCount).Select(_ => Linear(Embedding, k, hasBias: !cosine)).ToArray());
        RegisterComponents();
    }

    /// <summary>How many heads the network has.</summary>
    public int HeadCount => heads.Count;

    /// <summary>The head whose logits <see cref="forward"/> returns (0 until training chooses one).</summary>
    public int Head { get; set; }

    /// <summary>The chosen head's logits.</summary>
    public override Tensor forward(Tensor input) => Logits(trunk.forward(input), Head);

    /// <summary>Every head's logits for one batch, with the trunk run once.</summary>
    public Tensor[] ForwardHeads(Tensor input)
    {
        var e = trunk.forward(input);
        return Enumerable.Range(0, heads.Count).Select(h => Logits(e, h)).ToArray();
    }

    private Tensor Logits(Tensor embedding, int h)
    {
        var head = heads[h];
        if (!cosine)
        {
            return head.forward(embedding);
        }

        return functional.linear(functional.normalize(embedding, dim: 1), functional.normalize(head.weight!, dim: 1));
    }

    private static Module<Tensor, Tensor> Mlp(int[] shape)
    {
        long d = shape.Aggregate(1L, (a, b) => a * b);
        return Sequential(
            Flatten(),
            Linear(d, 512), BatchNorm1d(512), ReLU(),
            Linear(512, 512), BatchNorm1d(512), ReLU(),
            Linear(512, Embedding), BatchNorm1d(Embedding), ReLU());
    }

    private static Module<Tensor, Tensor> ConvNet(int[] shape)
    {
        if (shape.Length != 3)
        {
            throw new UsageException("--network", "convnet needs images shaped N×H×W or N×C×H×W, not flat N×D rows");
        }

        // Two 2×2 max-pools: smaller images leave nothing for the third convolution.
        if (shape[1] < 4 || shape[2] < 4)
        {
            throw new UsageException("--network", $"convnet needs images of at least 4×4 pixels, got {shape[1]}×{shape[2]}; use --network mlp");
        }

        return Sequential(
            Conv2d(shape[0], 32, 3, padding: 1), BatchNorm2d(32), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding: 1), BatchNorm2d(64), ReLU(), MaxPool2d(2),
            Conv2d(64, 128, 3, padding: 1), BatchNorm2d(128), ReLU(), AdaptiveAvgPool2d(1),
            Flatten(),
            Linear(128, Embedding), BatchNorm1d(Embedding), ReLU());
    }
}
