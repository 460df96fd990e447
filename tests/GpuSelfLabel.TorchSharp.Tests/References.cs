namespace GpuSelfLabel.TorchSharp.Tests;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>Float64 references of the pseudo-label solvers, written from ops.md with TorchSharp ops.</summary>
internal static class References
{
    /// <summary>ops.md §8: true labels, then the round(K·B) − B largest other entries (ties: lower flat index).</summary>
    public static Tensor AverageKTargets(Tensor probs, long[] labels, double k)
    {
        long batch = probs.shape[0];
        long classes = probs.shape[1];
        var p = probs.to(torch.ScalarType.Float64).contiguous().data<double>().ToArray();
        var z = new float[p.Length];
        var candidates = new List<int>();
        for (int i = 0; i < batch; i++)
        {
            z[(i * classes) + labels[i]] = 1;
            for (int j = 0; j < classes; j++)
            {
                if (j != labels[i])
                {
                    candidates.Add((int)(i * classes) + j);
                }
            }
        }

        long extra = (long)Math.Round(k * batch, MidpointRounding.ToEven) - batch;
        foreach (var flat in candidates.OrderByDescending(f => p[f]).ThenBy(f => f).Take((int)extra))
        {
            z[flat] = 1;
        }

        return torch.tensor(z, torch.ScalarType.Float64).reshape(batch, classes);
    }

    /// <summary>ops.md §4's EM step from Y⁰ = σ with a uniform prior until max |y' − y| &lt; tol.</summary>
    public static Tensor Em(Tensor probs, double lambda, double tol, int maxIters)
    {
        var sigma = probs.to(torch.ScalarType.Float64);
        long n = sigma.shape[0];
        double u = 1.0 / sigma.shape[1];
        var y = sigma.clone();
        for (int t = 0; t < maxIters; t++)
        {
            var s = y.sum(0, keepdim: true);
            var d = (sigma * y).sum(1, keepdim: true);
            var ti = (u * y / s).sum(1, keepdim: true);
            var next = ((sigma * y / d) + (lambda * n * u * y / s)) / (1 + (lambda * n * ti));
            double change = (next - y).abs().max().item<double>();
            y = next;
            if (change < tol)
            {
                break;
            }
        }

        return y;
    }

    /// <summary>ops.md §5 in float64 (P = exp(λ(z − LSE z)) is representable there at these sizes).</summary>
    public static long[] SeLa(Tensor logits, double lambda, double tol, int maxIters, int checkEvery = 10)
    {
        var z = logits.to(torch.ScalarType.Float64);
        long n = z.shape[0];
        long k = z.shape[1];
        var p = torch.exp(lambda * (z - torch.logsumexp(z, 1, keepdim: true)));
        var c = torch.full(n, 1.0 / n, torch.ScalarType.Float64);
        var r = torch.ones(k, torch.ScalarType.Float64);
        double err = double.PositiveInfinity;
        for (int t = 0; err > tol && t < maxIters; t++)
        {
            r = (1.0 / k) / torch.matmul(c, p);
            var next = (1.0 / n) / torch.matmul(p, r);
            if (t % checkEvery == 0)
            {
                err = (c / next - 1).abs().sum().item<double>();
            }

            c = next;
        }

        return (p * r).argmax(1).data<long>().ToArray();
    }

    /// <summary>ops.md §6 in float64.</summary>
    public static Tensor Swav(Tensor scores, double epsilon, int iterations)
    {
        var s = scores.to(torch.ScalarType.Float64) / epsilon;
        long b = s.shape[0];
        long k = s.shape[1];
        var q = torch.exp(s - s.max());
        q = q / q.sum();
        for (int i = 0; i < iterations; i++)
        {
            q = q / q.sum(0, keepdim: true) / k;
            q = q / q.sum(1, keepdim: true) / b;
        }

        return q * b;
    }
}
