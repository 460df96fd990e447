namespace GpuSelfLabel.Clustering;

/// <summary>
/// How <see cref="SelfLabelClustering.Fit"/> trains its head. The defaults are the configuration
/// measured in bench/results/cluster-fashion-mnist.md.
/// </summary>
public sealed record ClusteringOptions
{
    /// <summary>Number of clusters, 2 ≤ K ≤ N.</summary>
    public required int K { get; init; }

    /// <summary>Loss and pseudo-label solver (default collision CE with EM pseudo-labels).</summary>
    public ClusteringMethod Method { get; init; } = ClusteringMethod.CceEm;

    /// <summary>Passes over the data (≥ 1); pseudo-labels are refreshed before each.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per SGD step (≥ 1; capped at N).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Base learning rate (&gt; 0); the default suits unit-norm inputs (<see cref="NormalizeRows"/>).</summary>
    public double LearningRate { get; init; } = 0.3;

    /// <summary>SGD with momentum or Adam.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>SGD momentum in [0, 1).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 penalty on weights (not biases), ≥ 0.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Learning-rate schedule over the epochs.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Width of a hidden ReLU layer; 0 for a linear head.</summary>
    public int Hidden { get; init; }

    /// <summary>
    /// The pseudo-label solver's λ: fairness weight of the EM objective (cce-em, ce; default 100, strong
    /// enough to pull clusters towards equal sizes) or the SeLa Sinkhorn exponent (sela; default 25).
    /// Null takes the method's default.
    /// 
    /// </summary>
    public double? Lambda { get; init; }

    /// <summary>SwAV Sinkhorn ε (&gt; 0, default 0.05).</summary>
    public double Epsilon { get; init; } = 0.05;

    /// <summary>How the output layer starts.</summary>
    public HeadInit Init { get; init; } = HeadInit.KMeans;

    /// <summary>T of the k-means++ initialisation (&gt; 0); in units of the data's squared distances.</summary>
    public double InitTemperature { get; init; } = 1.0;

    /// <summary>k-means restarts of the <see cref="HeadInit.KMeans"/> initialisation (≥ 1).</summary>
    public int InitRestarts { get; init; } = 10;

    /// <summary>Shift and scale every feature to mean 0, variance 1 before training.</summary>
    public bool Standardize { get; init; }

    /// <summary>Scale every sample to unit L2 norm first (after standardisation, if both).</summary>
    public bool NormalizeRows { get; init; } = true;

    /// <summary>EM iterations per pseudo-label refresh at most (≥ 1).</summary>
    public int EmIterations { get; init; } = 200;

    /// <summary>Self-Classifier views: Gaussian noise added, in units of each feature's standard deviation.</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>Self-Classifier views: probability that a feature is zeroed (the rest scaled by 1/(1−p)).</summary>
    public double FeatureDropout { get; init; } = 0.2;

    /// <summary>Heads trained from different seeds; the consensus run is kept: the one whose clusters agree best with all the others (highest mean NMI to them), ties to the earlier restart (≥ 1).</summary>
    public int Restarts { get; init; } = 1;

    /// <summary>Seeds initialisation, shuffling and augmentation: equal seeds give equal clusters.</summary>
    public int Seed { get; init; }

    /// <summary>Matrix-multiply implementation for the head.</summary>
    public GemmProvider Blas { get; init; } = GemmProvider.Auto;

    /// <summary>λ for <see cref="Method"/>: <see cref="Lambda"/> when given, else 25 for SeLa and 100 otherwise.</summary>
    public double EffectiveLambda => Lambda ?? (Method == ClusteringMethod.Sela ? 25.0 : 100.0);
}
