namespace GpuSelfLabel.Clustering;

/// <summary>Options of the k-means baseline (the defaults are scikit-learn's KMeans with n_init = 10).</summary>
/// <param name="K">Number of clusters, 2 ≤ K ≤ N.</param>
/// <param name="Restarts">Independent k-means++ starts; the one with the lowest inertia wins (≥ 1).</param>
/// <param name="MaxIterations">Lloyd iterations per start at most (≥ 1).</param>
/// <param name="Tolerance">Stop when the centres move by less than tol × mean feature variance (squared, summed).</param>
/// <param name="Seed">Seeds the k-means++ draws: equal seeds give equal clusters.</param>
/// <param name="Blas">Matrix-multiply implementation for the distance computations.</param>
public sealed record KMeansOptions(
    int K,
    int Restarts = 10,
    int MaxIterations = 300,
    double Tolerance = 1e-4,
    int Seed = 0,
    GemmProvider Blas = GemmProvider.Auto);
