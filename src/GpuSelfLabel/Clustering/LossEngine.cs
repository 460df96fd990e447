using System.Numerics.Tensors;
using GpuSelfLabel.Backends;

#pragma warning disable CA1822
namespace GpuSelfLabel.Clustering;

/// <summary>
/// TEMPORARY host implementation until the loss families land; replaced by calls to the facades.
/// </summary>
internal sealed class LossEngine(Backend backend)
{
    public Backend Backend { get; } = backend;

    public static void Softmax(ReadOnlySpan<float> logits, int rows, int k, Span<float> probs)
    {
        for (int i = 0; i < rows; i++)
        {
            TensorPrimitives.SoftMax(logits.Slice(i * k, k), probs.Slice(i * k, k));
        }
    }

    public double CollisionCe(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int k, Span<float> dlogits)
    {
        double total = 0;
        Span<double> s = stackalloc double[k];
        for (int i = 0; i < rows; i++)
        {
            var z = logits.Slice(i * k, k);
            var y = targets.Slice(i * k, k);
            double m = TensorPrimitives.Max(z);
            double se = 0;
            double sq = 0;
            for (int j = 0; j < k; j++)
            {
                s[j] = Math.Exp(z[j] - m);
                se += s[j];
                sq += s[j] * y[j];
            }

            total += Math.Log(se) - Math.Log(sq);
            for (int j = 0; j < k; j++)
            {
                double sigma = s[j] / se;
                double q = s[j] * y[j] / sq;
                dlogits[(i * k) + j] = (float)((sigma - q) / rows);
            }
        }

        return total / rows;
    }

    public double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int k, Span<float> dlogits)
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            var z = logits.Slice(i * k, k);
            var y = targets.Slice(i * k, k);
            double m = TensorPrimitives.Max(z);
            double se = 0;
            for (int j = 0; j < k; j++)
            {
                se += Math.Exp(z[j] - m);
            }

            double lse = m + Math.Log(se);
            for (int j = 0; j < k; j++)
            {
                double sigma = Math.Exp(z[j] - lse);
                total -= y[j] * (z[j] - lse);
                dlogits[(i * k) + j] = (float)((sigma - y[j]) / rows);
            }
        }

        return total / rows;
    }

    public (int Iterations, double Objective) Em(float[] probs, float[]? init, int rows, int k, double lambda, int maxIterations, float[] labels)
    {
        var y = new double[rows * k];
        var next = new double[rows * k];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = (init ?? probs)[i];
        }

        var s = new double[k];
        int it = 0;
        for (; it < maxIterations; it++)
        {
            Array.Clear(s);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < k; j++)
                {
                    s[j] += y[(i * k) + j];
                }
            }

            double change = 0;
            double u = 1.0 / k;
            for (int i = 0; i < rows; i++)
            {
                double d = 0;
                double t = 0;
                for (int j = 0; j < k; j++)
                {
                    d += probs[(i * k) + j] * y[(i * k) + j];
                    t += u * y[(i * k) + j] / s[j];
                }

                double denominator = 1 + (lambda * rows * t);
                for (int j = 0; j < k; j++)
                {
                    double yy = y[(i * k) + j];
                    double v = ((probs[(i * k) + j] * yy / d) + (lambda * rows * u * yy / s[j])) / denominator;
                    change = Math.Max(change, Math.Abs(v - yy));
                    next[(i * k) + j] = v;
                }
            }

            (y, next) = (next, y);
            if (change < 1e-6)
            {
                it++;
                break;
            }
        }

        for (int i = 0; i < y.Length; i++)
        {
            labels[i] = (float)y[i];
        }

        Array.Clear(s);
        double nl = 0;
        for (int i = 0; i < rows; i++)
        {
            double dd = 0;
            for (int j = 0; j < k; j++)
            {
                s[j] += y[(i * k) + j];
                dd += probs[(i * k) + j] * y[(i * k) + j];
            }

            nl -= Math.Log(dd);
        }

        double kl = 0;
        for (int j = 0; j < k; j++)
        {
            kl += Math.Log(rows / (double)k / s[j]) / k;
        }

        return (it, (nl / rows) + (lambda * kl));
    }

    public long[] SeLa(float[] logits, int rows, int k, double lambda)
    {
        var logP = new double[rows * k];
        for (int i = 0; i < rows; i++)
        {
            var z = logits.AsSpan(i * k, k);
            double m = TensorPrimitives.Max(z);
            double se = 0;
            for (int j = 0; j < k; j++)
            {
                se += Math.Exp(z[j] - m);
            }

            for (int j = 0; j < k; j++)
            {
                logP[(i * k) + j] = lambda * (z[j] - m - Math.Log(se));
            }
        }

        var logc = new double[rows];
        Array.Fill(logc, -Math.Log(rows));
        var logr = new double[k];
        for (int t = 0; t < 1000; t++)
        {
            for (int j = 0; j < k; j++)
            {
                double mx = double.NegativeInfinity;
                for (int i = 0; i < rows; i++)
                {
                    mx = Math.Max(mx, logP[(i * k) + j] + logc[i]);
                }

                double se = 0;
                for (int i = 0; i < rows; i++)
                {
                    se += Math.Exp(logP[(i * k) + j] + logc[i] - mx);
                }

                logr[j] = -Math.Log(k) - (mx + Math.Log(se));
            }

            double err = 0;
            for (int i = 0; i < rows; i++)
            {
                double mx = double.NegativeInfinity;
                for (int j = 0; j < k; j++)
                {
                    mx = Math.Max(mx, logP[(i * k) + j] + logr[j]);
                }

                double se = 0;
                for (int j = 0; j < k; j++)
                {
                    se += Math.Exp(logP[(i * k) + j] + logr[j] - mx);
                }

                double c2 = -Math.Log(rows) - (mx + Math.Log(se));
                err += Math.Abs(Math.Exp(logc[i] - c2) - 1);
                logc[i] = c2;
            }

            if (t % 10 == 0 && err < 0.1)
            {
                break;
            }
        }

        var labels = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            int best = 0;
            for (int j = 1; j < k; j++)
            {
                if (logP[(i * k) + j] + logr[j] > logP[(i * k) + best] + logr[best])
                {
                    best = j;
                }
            }

            labels[i] = best;
        }

        return labels;
    }

    public void Swav(ReadOnlySpan<float> scores, int rows, int k, double epsilon, int iterations, Span<float> codes)
    {
        double max = TensorPrimitives.Max(scores);
        var q = new double[rows * k];
        double total = 0;
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = Math.Exp((scores[i] - max) / epsilon);
            total += q[i];
        }

        for (int i = 0; i < q.Length; i++)
        {
            q[i] /= total;
        }

        for (int it = 0; it < iterations; it++)
        {
            for (int j = 0; j < k; j++)
            {
                double c = 0;
                for (int i = 0; i < rows; i++)
                {
                    c += q[(i * k) + j];
                }

                for (int i = 0; i < rows; i++)
                {
                    q[(i * k) + j] /= c * k;
                }
            }

            for (int i = 0; i < rows; i++)
            {
                double r = 0;
                for (int j = 0; j < k; j++)
                {
                    r += q[(i * k) + j];
                }

                for (int j = 0; j < k; j++)
                {
                    q[(i * k) + j] /= r * rows;
                }
            }
        }

        for (int i = 0; i < q.Length; i++)
        {
            codes[i] = (float)(q[i] * rows);
        }
    }

    public double SelfClassifier(ReadOnlySpan<float> logits, int views, int rows, int k, Span<float> dlogits) =>
        throw new NotSupportedException("self-classifier arrives with the loss families");
}
