namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Seeded inputs, so a failing case reproduces exactly.</summary>
public static class TestData
{
    /// <summary>Row counts that fill no vector width or block: 1, 2, 3, 7, 33, 257.</summary>
    public static readonly int[] Rows = [1, 2, 3, 7, 33, 257];

    /// <summary>Class counts from the smallest legal to ImageNet-cluster sizes.</summary>
    public static readonly int[] Classes = [2, 3, 10, 1000, 3000];

    /// <summary>Every (N, K) pair of <see cref="Rows"/> × <see cref="Classes"/>.</summary>
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (var n in Rows)
        {
            foreach (var k in Classes)
            {
                data.Add(n, k);
            }
        }

        return data;
    }

    /// <summary>A smaller sweep for iterative solvers, still off every block size.</summary>
    public static TheoryData<int, int> SolverShapes() => new() { { 1, 2 }, { 7, 3 }, { 33, 10 }, { 257, 10 }, { 100, 33 } };

    /// <summary>Gaussian logits with standard deviation <paramref name="scale"/>.</summary>
    public static float[] Logits(int n, int k, int seed, double scale = 3.0)
    {
        var random = new Random(seed);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(scale * Gaussian(random));
        }

        return z;
    }

    /// <summary>
    /// Values at the edge of float32: ±3e38, ±float.MaxValue (ties among them), values spread over
    /// ±3e38, and a few ordinary ones, so every max, shift and scale meets its largest operands.
    /// </summary>
    public static float[] NearFloatMax(int count, int seed)
    {
        var random = new Random(seed);
        var z = new float[count];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = random.Next(6) switch
            {
                0 => 3e38f,
                1 => -3e38f,
                2 => float.MaxValue,
                3 => -float.MaxValue,
                4 => (float)((random.NextDouble() - 0.5) * 6e38),
                _ => (float)Gaussian(random),
            };
        }

        return z;
    }

    /// <summary>Random strictly positive rows summing to 1 (the float32 sum is within 1e-6).</summary>
    public static float[] Distributions(int n, int k, int seed, double sharpness = 1.0)
    {
        var random = new Random(seed);
        var y = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            var row = new double[k];
            for (int j = 0; j < k; j++)
            {
                row[j] = Math.Exp(sharpness * Gaussian(random)) + 1e-3;
                sum += row[j];
            }

            for (int j = 0; j < k; j++)
            {
                y[(i * k) + j] = (float)(row[j] / sum);
            }
        }

        return y;
    }

    /// <summary>Row-wise one-hot of <paramref name="labels"/>.</summary>
    public static float[] OneHot(int[] labels, int k)
    {
        var y = new float[labels.Length * k];
        for (int i = 0; i < labels.Length; i++)
        {
            y[(i * k) + labels[i]] = 1f;
        }

        return y;
    }

    /// <summary>Uniform integers in [0, k).</summary>
    public static int[] Labels(int n, int k, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.Next(k)).ToArray();
    }

    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
