namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Central finite differences of a float64 function, the reference for every gradient.</summary>
public static class FiniteDifference
{
    /// <summary>∂f/∂x_j ≈ (f(x + h e_j) − f(x − h e_j)) / 2h for every j.</summary>
    public static double[] Gradient(Func<double[], double> f, double[] x, double h = 1e-5)
    {
        var g = new double[x.Length];
        var probe = (double[])x.Clone();
        for (int j = 0; j < x.Length; j++)
        {
            probe[j] = x[j] + h;
            double up = f(probe);
            probe[j] = x[j] - h;
            double down = f(probe);
            probe[j] = x[j];
            g[j] = (up - down) / (2 * h);
        }

        return g;
    }
}
