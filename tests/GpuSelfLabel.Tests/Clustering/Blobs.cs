namespace GpuSelfLabel.Tests.Clustering;

/// <summary>Well-separated Gaussian blobs: K centres far apart in D dimensions, N/K unit-variance samples each.</summary>
public static class Blobs
{
    public static (float[] Features, int[] Labels) Make(int n, int d, int k, int seed, double separation = 12)
    {
        var random = new Random(seed);
        var centres = new double[k * d];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = separation * ((random.NextDouble() * 2) - 1);
        }

        var features = new float[n * d];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % k;
            labels[i] = c;
            for (int j = 0; j < d; j++)
            {
                features[(i * d) + j] = (float)(centres[(c * d) + j] + Gaussian(random));
            }
        }

        return (features, labels);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
