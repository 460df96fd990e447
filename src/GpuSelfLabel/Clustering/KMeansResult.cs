namespace GpuSelfLabel.Clustering;

/// <summary>The best of the k-means restarts.</summary>
/// <param name="Clusters">Cluster of every sample (nearest centre).</param>
/// <param name="Centres">K×D centres, row-major.</param>
/// <param name="Inertia">Σ_i ‖x_i − c_{cluster(i)}‖² (float64).</param>
/// <param name="Iterations">Lloyd iterations of the winning start.</param>
/// <param name="Seconds">Wall time of all restarts.</param>
public sealed record KMeansResult(int[] Clusters, float[] Centres, double Inertia, int Iterations, double Seconds);
