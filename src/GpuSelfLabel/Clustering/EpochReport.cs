namespace GpuSelfLabel.Clustering;

/// <summary>Progress after one epoch of <see cref="SelfLabelClustering.Fit"/>.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Loss">Mean mini-batch loss over the epoch.</param>
/// <param name="LearningRate">Rate at the epoch's last step.</param>
/// <param name="Seconds">Time since training started.</param>
/// <param name="ClustersUsed">Clusters that hold at least one sample (argmax of the head).</param>
/// <param name="Scores">ACC, NMI and ARI of the head's clusters when labels were given, else null.</param>
public sealed record EpochReport(int Epoch, int Epochs, double Loss, double LearningRate, double Seconds, int ClustersUsed, ClusteringScores? Scores);
