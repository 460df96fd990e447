using System.Diagnostics;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel.Clustering;

/// <summary>
/// The main job: K clusters of N feature vectors learned by self-labeling. A classification head
/// (linear, or with one hidden ReLU layer) is trained with mini-batch SGD or Adam on one of the
/// self-labeling losses of ops.md, its targets coming from the matching pseudo-label solver; the
/// clusters are the head's argmax. Everything random is drawn from one seeded generator, so equal
/// options give equal clusters.
/// </summary>
public static class SelfLabelClustering
{
    /// <summary>Trains a head on <paramref name="features"/> and returns the cluster of every sample.</summary>
    /// <param name="features">N×D features.</param>
    /// <param name="options">K, method and training settings.</param>
    /// <param name="labels">True classes (length N, ≥ 0), only to report ACC/NMI/ARI per epoch; null for none.</param>
    /// <param name="progress">Receives a report after every epoch.</param>
    /// <param name="backend">Where the losses and pseudo-label solvers run (default: the CPU).</param>
    /// <param name="cancellation">Stops training between mini-batches.</param>
    /// <exception cref="GslArgumentException">An option or the labels break a rule; the message names it.</exception>
    public static ClusteringResult Fit(
        FeatureMatrix features,
        ClusteringOptions options,
        int[]? labels = null,
        IProgress<EpochReport>? progress = null,
        Backend? backend = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        Validate(features, options, labels);
        var clock = Stopwatch.StartNew();
        if (options.Standardize)
        {
            features = features.Standardize();
        }

        if (options.NormalizeRows)
        {
            features = features.NormalizeRows();
        }

        features.CheckDistancesFit("scale the features down, or turn on Standardize or NormalizeRows (gsl cluster: --standardize, --l2-normalize)");
        var losses = new LossEngine(backend ?? Backend.Cpu);
        var seeds = new Random(options.Seed);
        var runs = new List<Run>();
        var history = new List<EpochReport>();
        for (int restart = 0; restart < options.Restarts; restart++)
        {
            runs.Add(Train(features, options, labels, new Random(seeds.Next()), losses, restart, history, progress, clock, cancellation));
        }

        var best = runs[Consensus(runs)];
        var scores = labels is null ? null : ClusteringMetrics.Evaluate(best.Clusters, labels);
        return new ClusteringResult(best.Clusters, best.Head, history, scores, best.Objective, best.Restart, clock.Elapsed.TotalSeconds, Gemm.Describe(options.Blas), options);
    }

    /// <summary>
    /// The restart whose partition agrees best with all the others (highest mean NMI to them): the
    /// medoid of the runs, so one unlucky start is never the answer. Ties go to the earlier restart.
    /// </summary>
    private static int Consensus(List<Run> runs)
    {
        int best = 0;
        double bestAgreement = double.NegativeInfinity;
        for (int a = 0; a < runs.Count; a++)
        {
            double agreement = 0;
            for (int b = 0; b < runs.Count; b++)
            {
                if (a != b)
                {
                    agreement += ClusteringMetrics.NormalizedMutualInformation(runs[a].Clusters, runs[b].Clusters);
                }
            }

            if (agreement > bestAgreement)
            {
                bestAgreement = agreement;
                best = a;
            }
        }

        return best;
    }

    private static Run Train(
        FeatureMatrix features,
        ClusteringOptions options,
        int[]? labels,
        Random random,
        LossEngine losses,
        int restart,
        List<EpochReport> history,
        IProgress<EpochReport>? progress,
        Stopwatch clock,
        CancellationToken cancellation)
    {
        int n = features.Rows;
        int d = features.Columns;
        int k = options.K;
        var head = new ClassifierHead(d, options.Hidden, k, options.Blas);
        Initialize(head, features, options, random);
        var objective = TrainingObjective.Create(options, losses, n);
        var optimizer = HeadOptimizer.Create(options, head.Parameters);
        var augmentation = objective.Views > 1 ? new ViewAugmentation(features, options.NoiseStd, options.FeatureDropout, random) : null;

        int batches = Math.Max(1, n / options.BatchSize);
        int maxRows = ((n + batches - 1) / batches) * objective.Views;
        var order = Enumerable.Range(0, n).ToArray();
        var input = new float[maxRows * d];
        var gathered = augmentation is null ? input : new float[maxRows * d];
        var logits = new float[maxRows * k];
        var dlogits = new float[maxRows * k];
        var all = head.Logits(features);
        double rate = options.LearningRate;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            objective.BeginEpoch(all, epoch);
            Shuffle(order, random);
            double lossSum = 0;
            for (int b = 0; b < batches; b++)
            {
                cancellation.ThrowIfCancellationRequested();
                int first = (int)((long)b * n / batches);
                int rows = (int)((long)(b + 1) * n / batches) - first;
                var samples = order.AsSpan(first, rows);
                for (int r = 0; r < rows; r++)
                {
                    features.Row(samples[r]).CopyTo(gathered.AsSpan(r * d, d));
                }

                if (augmentation is not null)
                {
                    for (int v = 0; v < objective.Views; v++)
                    {
                        augmentation.Apply(gathered.AsSpan(0, rows * d), input.AsSpan(v * rows * d, rows * d));
                    }
                }

                int total = rows * objective.Views;
                head.Forward(input.AsSpan(0, total * d), total, logits.AsSpan(0, total * k));
                CheckFinite(logits.AsSpan(0, total * k), epoch, options);
                double loss = objective.Batch(samples, logits, rows, dlogits);

                lossSum += loss;
                head.Backward(input.AsSpan(0, total * d), total, dlogits.AsSpan(0, total * k));
                rate = LearningRateSchedule.Rate(options.Schedule, options.LearningRate, ((double)(epoch * batches) + b) / (options.Epochs * batches));
                optimizer.Step((float)rate);
            }

            all = head.Logits(features);
            CheckFinite(all, epoch, options);
            var clusters = ClassifierHead.ArgMax(all, k);
            var scores = labels is null ? null : ClusteringMetrics.Evaluate(clusters, labels);
            var report = new EpochReport((restart * options.Epochs) + epoch + 1, options.Restarts * options.Epochs, lossSum / batches, rate, clock.Elapsed.TotalSeconds, clusters.Distinct().Count(), scores);
            history.Add(report);
            progress?.Report(report);
        }

        return new Run(ClassifierHead.ArgMax(all, k), head, SelectionObjective(all, n, options, losses), restart);
    }

    /// <summary>Logits beyond float32 range mean the steps were too large: say so instead of failing inside a loss.</summary>
    private static void CheckFinite(ReadOnlySpan<float> logits, int epoch, ClusteringOptions options)
    {
        float sum = System.Numerics.Tensors.TensorPrimitives.Sum(logits);
        if (!float.IsFinite(sum) || System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(logits) > 1e15f)
        {
            throw new GslArgumentException("lr", $"training diverged in epoch {epoch + 1} (the logits left float32 range); lower the learning rate (now {options.LearningRate}) or the weight decay, or drop --standardize");
        }
    }

    /// <summary>
    /// min over Y of F(Y) = (1/N) Σ −ln(σ_i·y_i) + λ·KL(u ‖ ȳ) for the head's final σ (EM from σ):
    /// the unsupervised score restarts are ranked by, whatever the method (λ = 1 for methods without
    /// an EM λ), as k-means ranks its restarts by inertia.
    /// </summary>
    private static double SelectionObjective(float[] logits, int n, ClusteringOptions options, LossEngine losses)
    {
        var probs = new float[logits.Length];
        losses.Softmax(logits, n, options.K, probs);
        double lambda = options.Method is ClusteringMethod.CceEm or ClusteringMethod.Ce ? options.EffectiveLambda : 1.0;
        return losses.Em(probs, null, n, options.K, lambda, options.EmIterations, new float[logits.Length]).Objective;
    }

    private static void Validate(FeatureMatrix features, ClusteringOptions options, int[]? labels)
    {
        KMeans.CheckK(options.K, features.Rows);
        Guard.AtLeast(options.Epochs, 1, "epochs");
        Guard.AtLeast(options.BatchSize, 1, "batch-size");
        Guard.Positive(options.LearningRate, "lr");
        if (!(options.Momentum >= 0 && options.Momentum < 1))
        {
            throw new GslArgumentException("momentum", $"must be in [0, 1), got {options.Momentum}");
        }

        Guard.NonNegative(options.WeightDecay, "weight-decay");
        Guard.AtLeast(options.Hidden, 0, "hidden");
        long hiddenValues = Math.Max((long)features.Rows, features.Columns) * options.Hidden;
        if (hiddenValues > Array.MaxLength)
        {
            throw new GslArgumentException("hidden", $"{options.Hidden} units need {hiddenValues:N0} values per layer array (N or D times the units), more than one array holds ({Array.MaxLength:N0})");
        }
        if (options.Method == ClusteringMethod.Sela)
        {
            Guard.Positive(options.EffectiveLambda, "lambda");
        }
        else
        {
            Guard.NonNegative(options.EffectiveLambda, "lambda");
        }

        Guard.Positive(options.Epsilon, "epsilon");
        Guard.Positive(options.InitTemperature, "init-temperature");
        Guard.AtLeast(options.EmIterations, 1, "em-iters");
        Guard.AtLeast(options.InitRestarts, 1, "init-restarts");
        Guard.AtLeast(options.Restarts, 1, "restarts");
        Guard.NonNegative(options.NoiseStd, "noise");
        if (!(options.FeatureDropout >= 0 && options.FeatureDropout < 1))
        {
            throw new GslArgumentException("dropout", $"must be in [0, 1), got {options.FeatureDropout}");
        }

        if (options.Method == ClusteringMethod.SelfClassifier && Math.Max(1, features.Rows / options.BatchSize) > features.Rows / 2)
        {
            throw new GslArgumentException("batch-size", "the Self-Classifier loss normalises over the batch; use batches of at least 2 samples");
        }

        if (labels is null)
        {
            return;
        }

        if (labels.Length != features.Rows)
        {
            throw new GslArgumentException("labels", $"has {labels.Length} labels but the features have N = {features.Rows} rows; they must agree");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new GslArgumentException("labels", $"label {labels[i]} is negative; labels must be ≥ 0", i);
            }
        }
    }

    private static void Initialize(ClassifierHead head, FeatureMatrix features, ClusteringOptions options, Random random)
    {
        if (head.HiddenSize > 0)
        {
            Uniform(head.HiddenWeight!, 1 / Math.Sqrt(head.InputSize), random);
        }

        if (options.Init == HeadInit.Random)
        {
            Uniform(head.OutputWeight, 1 / Math.Sqrt(head.OutputInputs), random);
            return;
        }

        // k-means++ seeds in the space the last layer sees: the features, or the hidden activations.
        var inputs = features;
        if (head.HiddenSize > 0)
        {
            var hidden = new float[(long)features.Rows * head.HiddenSize];
            head.HiddenLayer(features.Values, features.Rows, hidden);
            inputs = FeatureMatrix.Create(hidden, features.Rows, head.HiddenSize);
        }

        var norms = KMeans.SquaredNorms(inputs);
        var centres = options.Init == HeadInit.KMeans
            ? KMeans.Fit(inputs, new KMeansOptions(options.K, options.InitRestarts, Seed: random.Next(), Blas: options.Blas)).Centres
            : KMeans.SeedCentres(inputs, norms, options.K, random, options.Blas);

        // T is relative to the mean squared distance to the nearest seed, so the head's initial
        // softness does not depend on the scale of the features.
        var distances = new float[inputs.Rows * options.K];
        KMeans.Distances(inputs, norms, centres, options.K, options.Blas, new float[inputs.Rows * options.K], distances);
        double nearest = 0;
        for (int i = 0; i < inputs.Rows; i++)
        {
            nearest += System.Numerics.Tensors.TensorPrimitives.Min(distances.AsSpan(i * options.K, options.K));
        }

        nearest = Math.Max(nearest / inputs.Rows, 1e-12);
        head.SetOutputToCentres(centres, options.InitTemperature * nearest);

        // centre / (T·d̄) in float32: a tiny InitTemperature overflows it, and training then met NaN
        // logits reported under an internal name.
        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(head.OutputWeight) || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(head.OutputBias))
        {
            throw new GslArgumentException("init-temperature", $"{options.InitTemperature:G3} is too small for these features: the head's first weights (centre / temperature) pass float32's range");
        }
    }

    private static void Uniform(float[] values, double bound, Random random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * bound);
        }
    }

    private static void Shuffle(int[] order, Random random)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private sealed record Run(int[] Clusters, ClassifierHead Head, double Objective, int Restart);
}
