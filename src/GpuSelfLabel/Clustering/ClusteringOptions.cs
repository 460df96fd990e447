namespace GpuSelfLabel.Clustering;

/// <summary>
/// How <see cref="SelfLabelClustering.Fit"/> trains its head. The defaults are the configuration
/// measured in bench/results/cluster-fashion-mnist.md.
/// </summary>
/// <param name="K">Number of clusters, 2 ≤ K ≤ N.</param>
/// <param name="Method">Loss and pseudo-label solver (default collision CE with EM pseudo-labels).</param>
/// <param name="Epochs">Passes over the data (≥ 1); pseudo-labels are refreshed before each.</param>
/// <param name="BatchSize">Samples per SGD step (≥ 1; capped at N).</param>
/// <param name="LearningRate">Base learning rate (&gt; 0); the default suits unit-norm inputs (<paramref name="NormalizeRows"/>).</param>
/// <param name="Optimizer">SGD with momentum or Adam.</param>
/// <param name="Momentum">SGD momentum in [0, 1).</param>
/// <param name="WeightDecay">L2 penalty on weights (not biases), ≥ 0.</param>
/// <param name="Schedule">Learning-rate schedule over the epochs.</param>
/// <param name="Hidden">Width of a hidden ReLU layer; 0 for a linear head.</param>
/// <param name="Lambda">
/// The pseudo-label solver's λ: fairness weight of the EM objective (cce-em, ce; default 100, strong
/// enough to pull clusters towards equal sizes) or the SeLa Sinkhorn exponent (sela; default 25).
/// Null takes the method's default.
/// </param>
/// <param name="Epsilon">SwAV Sinkhorn ε (&gt; 0, default 0.05).</param>
/// <param name="Init">How the output layer starts.</param>
/// <param name="InitTemperature">T of the k-means++ initialisation (&gt; 0); in units of the data's squared distances.</param>
/// <param name="InitRestarts">k-means restarts of the <see cref="HeadInit.KMeans"/> initialisation (≥ 1).</param>
/// <param name="Standardize">Shift and scale every feature to mean 0, variance 1 before training.</param>
/// <param name="NormalizeRows">Scale every sample to unit L2 norm first (after standardisation, if both).</param>
/// <param name="EmIterations">EM iterations per pseudo-label refresh at most (≥ 1).</param>
/// <param name="NoiseStd">Self-Classifier views: Gaussian noise added, in units of each feature's standard deviation.</param>
/// <param name="FeatureDropout">Self-Classifier views: probability that a feature is zeroed (the rest scaled by 1/(1−p)).</param>
/// <param name="Restarts">Heads trained from different seeds; the consensus run is kept: the one whose clusters agree best with all the others (highest mean NMI to them), ties to the earlier restart (≥ 1).</param>
/// <param name="Seed">Seeds initialisation, shuffling and augmentation: equal seeds give equal clusters.</param>
/// <param name="Blas">Matrix-multiply implementation for the head.</param>
public sealed record ClusteringOptions(
    int K,
    ClusteringMethod Method = ClusteringMethod.CceEm,
    int Epochs = 10,
    int BatchSize = 256,
    double LearningRate = 0.3,
    OptimizerKind Optimizer = OptimizerKind.Sgd,
    double Momentum = 0.9,
    double WeightDecay = 1e-4,
    ScheduleKind Schedule = ScheduleKind.Cosine,
    int Hidden = 0,
    double? Lambda = null,
    double Epsilon = 0.05,
    HeadInit Init = HeadInit.KMeans,
    double InitTemperature = 1.0,
    int InitRestarts = 10,
    bool Standardize = false,
    bool NormalizeRows = true,
    int EmIterations = 200,
    double NoiseStd = 0.1,
    double FeatureDropout = 0.2,
    int Restarts = 1,
    int Seed = 0,
    GemmProvider Blas = GemmProvider.Auto)
{
    /// <summary>λ for <see cref="Method"/>: <see cref="Lambda"/> when given, else 25 for SeLa and 100 otherwise.</summary>
    public double EffectiveLambda => Lambda ?? (Method == ClusteringMethod.Sela ? 25.0 : 100.0);
}
