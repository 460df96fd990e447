using static TorchSharp.torch.nn;

namespace GpuSelfLabel.Train;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// A trunk (MLP or small convnet) to a 128-d embedding and a linear head to K cluster logits. With
/// <c>cosine</c> the head scores the L2-normalised embedding against L2-normalised prototypes (SwAV's
/// form; scores in [−1, 1]).
/// </summary>
internal sealed class ClusterNet : Module<Tensor, Tensor>
{
    private const int Embedding = 128;
    private readonly Module<Tensor, Tensor> trunk;
    private readonly global::TorchSharp.Modules.Linear head;
    private readonly bool cosine;

    public ClusterNet(string network, int[] shape, int k, bool cosine) : base("ClusterNet")
    {
        this.cosine = cosine;
        trunk = network == "convnet" ? ConvNet(shape) : Mlp(shape);
        head = Linear(Embedding, k, hasBias: !cosine);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var e = trunk.forward(input);
        if (!cosine)
        {
            return head.forward(e);
        }

        return functional.linear(functional.normalize(e, dim: 1), functional.normalize(head.weight!, dim: 1));
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

        return Sequential(
            Conv2d(shape[0], 32, 3, padding: 1), BatchNorm2d(32), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding: 1), BatchNorm2d(64), ReLU(), MaxPool2d(2),
            Conv2d(64, 128, 3, padding: 1), BatchNorm2d(128), ReLU(), AdaptiveAvgPool2d(1),
            Flatten(),
            Linear(128, Embedding), BatchNorm1d(Embedding), ReLU());
    }
}
