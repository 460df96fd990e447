namespace GpuSelfLabel.Tests.Clustering;

public sealed class GemmTests
{
    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 1, 1, 1 }, { 7, 5, 33 }, { 3, 17, 4 }, { 64, 70, 130 }, { 129, 10, 784 }, { 33, 257, 15 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Managed_matches_a_naive_product(int m, int n, int k) => CheckAll(m, n, k, GemmProvider.Managed);

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void OpenBlas_matches_a_naive_product(int m, int n, int k)
    {
        Skip.IfNot(Gemm.IsOpenBlasAvailable, "OpenBLAS is not installed here (apt-get install libopenblas0-pthread)");
        CheckAll(m, n, k, GemmProvider.OpenBlas);
        Assert.StartsWith("OpenBLAS", Gemm.Describe(GemmProvider.Auto), StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_works_whether_or_not_OpenBlas_is_installed() => CheckAll(40, 30, 50, GemmProvider.Auto);

    [Fact]
    public void Beta_zero_ignores_nan_in_the_output_and_short_spans_are_rejected()
    {
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 1, 0, 0, 1 };
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, b, 0f, c, GemmProvider.Managed);
        Assert.Equal(a, c);
        Assert.Equal("c", Assert.Throws<GslArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, 1f, a, b, 0f, new float[3])).Argument);
        Assert.Equal("m", Assert.Throws<GslArgumentException>(() => Gemm.Multiply(false, false, -1, 2, 2, 1f, a, b, 0f, c)).Argument);
    }

    private static void CheckAll(int m, int n, int k, GemmProvider provider)
    {
        var random = new Random((m * 1000) + (n * 10) + k);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                var a = Values(m * k, random);
                var b = Values(k * n, random);
                var c = Values(m * n, random);
                var expected = Naive(ta, tb, m, n, k, 0.75, a, b, -0.5, c);
                Gemm.Multiply(ta, tb, m, n, k, 0.75f, a, b, -0.5f, c, provider);
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{provider} ta={ta} tb={tb} ({m}×{n}×{k}) entry {i}: {c[i]} vs {expected[i]}");
                }
            }
        }
    }

    private static double[] Naive(bool ta, bool tb, int m, int n, int k, double alpha, float[] a, float[] b, double beta, float[] c)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double aip = ta ? a[(p * m) + i] : a[(i * k) + p];
                    double bpj = tb ? b[(j * k) + p] : b[(p * n) + j];
                    sum += aip * bpj;
                }

                result[(i * n) + j] = (alpha * sum) + (beta * c[(i * n) + j]);
            }
        }

        return result;
    }

    private static float[] Values(int count, Random random)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
