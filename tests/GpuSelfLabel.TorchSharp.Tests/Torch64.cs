namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Float64 references written with TorchSharp's own ops (logsumexp forms, not this library's code),
/// and the accuracy contract of ops.md to hold our results against them.
/// </summary>
internal static class Torch64
{
    /// <summary>A float64 leaf copy of <paramref name="tensor"/> that records gradients.</summary>
    public static Tensor Leaf(Tensor tensor, bool requiresGrad = true) =>
        tensor.detach().to(torch.ScalarType.Float64).clone().requires_grad_(requiresGrad);

    public static Tensor CollisionRows(Tensor z, Tensor y) =>
        torch.logsumexp(z, 1) - torch.logsumexp(z + torch.log(y), 1);

    public static Tensor SoftCrossEntropyRows(Tensor z, Tensor y) =>
        -(y * functional.log_softmax(z, 1)).sum(1);

    /// <summary>ops.md §7 term by term: column softmax targets, row softmax predictions, ε = 1e-12.</summary>
    public static Tensor SelfClassifier(Tensor s, double tauRow, double tauCol, int? globalViews = null)
    {
        const double epsilon = 1e-12;
        long views = s.shape[0];
        long n = s.shape[1];
        long c = s.shape[2];
        long global = globalViews ?? views;
        Tensor? total = null;
        int pairs = 0;
        for (long i = 0; i < views; i++)
        {
            var a = torch.softmax(s[i] / tauCol, 0);
            var t = a / a.sum(1, keepdim: true).clamp_min(epsilon);
            for (long j = 0; j < views; j++)
            {
                if (i == j || (i >= global && j >= global))
                {
                    continue;
                }

                var r = torch.softmax(s[j] / tauRow, 1);
                var p = r / r.sum(0, keepdim: true).clamp_min(epsilon);
                var term = -(t * torch.log((double)n / c * p + epsilon)).sum() / n;
                total = total is null ? term : total + term;
                pairs++;
            }
        }

        return total! / pairs;
    }

    /// <summary>ops.md §8 with Z given: mean −ln softmax(a)_y + μ · mean Σ_j (softplus(b) − Z b).</summary>
    public static Tensor TwoHead(Tensor a, Tensor b, long[] labels, Tensor z, double mu)
    {
        long batch = a.shape[0];
        using var index = torch.tensor(labels, torch.ScalarType.Int64).unsqueeze(1);
        var crossEntropy = -functional.log_softmax(a, 1).gather(1, index).sum() / batch;
        var binary = (functional.softplus(b) - (z * b)).sum() / batch;
        return crossEntropy + (mu * binary);
    }

    /// <summary>|got − ref| ≤ 1e-4·|ref| + 1e-6 elementwise (ops.md's contract), naming the worst entry.</summary>
    public static void Close(Tensor expected, Tensor actual, double relative = 1e-4, double absolute = 1e-6)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.detach().to(torch.ScalarType.Float64).contiguous().data<double>().ToArray();
        var a = actual.detach().to(torch.ScalarType.Float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            double bound = (relative * Math.Abs(e[i])) + absolute;
            Assert.True(Math.Abs(a[i] - e[i]) <= bound, $"entry {i}: got {a[i]:R}, expected {e[i]:R} (bound {bound:G3})");
        }
    }

    /// <summary>Scalar losses within relative 1e-5 (ops.md).</summary>
    public static void CloseScalar(double expected, Tensor actual, double relative = 1e-5)
    {
        double got = actual.to(torch.ScalarType.Float64).item<double>();
        Assert.True(Math.Abs(got - expected) <= relative * Math.Max(1e-30, Math.Abs(expected)), $"got {got:R}, expected {expected:R}");
    }
}
