using System.Diagnostics;
using System.Numerics.Tensors;

namespace GpuSelfLabel.Clustering;

/// <summary>
/// Lloyd's k-means with greedy k-means++ seeding (2 + ⌊ln K⌋ candidates per centre, as scikit-learn)
/// and restarts: the baseline <c>gsl cluster</c> is compared with. Distances come from one GEMM per
/// iteration, ‖x − c‖² = ‖x‖² − 2·x·c + ‖c‖².
/// </summary>
public static class KMeans
{
    /// <summary>Clusters <paramref name="features"/> into K groups.</summary>
    /// <exception cref="GslArgumentException">"k" outside 2..N, or "restarts"/"max-iters" below 1.</exception>
    public static KMeansResult Fit(FeatureMatrix features, KMeansOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        CheckK(options.K, features.Rows);
        Validation.Guard.AtLeast(options.Restarts, 1, "restarts");
        Validation.Guard.AtLeast(options.MaxIterations, 1, "max-iters");
        Validation.Guard.NonNegative(options.Tolerance, "tol");
        features.CheckDistancesFit("scale the features down, or standardize or L2-normalise them first");
        var clock = Stopwatch.StartNew();
        var norms = SquaredNorms(features);
        double tolerance = options.Tolerance * MeanVariance(features);
        var random = new Random(options.Seed);
        KMeansResult? best = null;
        for (int start = 0; start < options.Restarts; start++)
        {
            cancellation.ThrowIfCancellationRequested();
            var centres = SeedCentres(features, norms, options.K, random, options.Blas);
            var run = Lloyd(features, norms, centres, options, tolerance, cancellation);
            if (best is null || run.Inertia < best.Inertia)
            {
                best = run;
            }
        }

        return best! with { Seconds = clock.Elapsed.TotalSeconds };
    }

    internal static void CheckK(int k, int rows)
    {
        if (k < 2)
        {
            throw new GslArgumentException("k", $"must be ≥ 2, got {k}");
        }

        if (k > rows)
        {
            throw new GslArgumentException("k", $"is {k} but there are only N = {rows} samples; K must be ≤ N");
        }
    }

    internal static float[] SquaredNorms(FeatureMatrix features)
    {
        var norms = new float[features.Rows];
        for (int i = 0; i < norms.Length; i++)
        {
            var row = features.Row(i);
            norms[i] = TensorPrimitives.Dot(row, row);
        }

        return norms;
    }

    /// <summary>
    /// Greedy k-means++: the first centre uniformly at random, each next one the best (lowest total
    /// squared distance) of a few candidates drawn with probability proportional to D(x)².
    /// </summary>
    internal static float[] SeedCentres(FeatureMatrix features, float[] norms, int k, Random random, GemmProvider blas)
    {
        int n = features.Rows;
        int d = features.Columns;
        int trials = 2 + (int)Math.Log(k);
        var centres = new float[k * d];
        var closest = new double[n];
        var candidateDistances = new float[n * trials];
        var products = new float[n * trials];
        var candidates = new int[trials];
        var candidateRows = new float[trials * d];

        int first = random.Next(n);
        features.Row(first).CopyTo(centres);
        Distances(features, norms, features.Values.AsSpan(first * d, d), 1, blas, products, candidateDistances);
        for (int i = 0; i < n; i++)
        {
            closest[i] = candidateDistances[i];
        }

        for (int c = 1; c < k; c++)
        {
            double total = closest.Sum();
            for (int t = 0; t < trials; t++)
            {
                candidates[t] = total > 0 ? Draw(closest, total, random) : random.Next(n);
                features.Row(candidates[t]).CopyTo(candidateRows.AsSpan(t * d, d));
            }

            Distances(features, norms, candidateRows, trials, blas, products, candidateDistances);
            int bestTrial = 0;
            double bestPotential = double.PositiveInfinity;
            for (int t = 0; t < trials; t++)
            {
                double potential = 0;
                for (int i = 0; i < n; i++)
                {
                    potential += Math.Min(closest[i], candidateDistances[(i * trials) + t]);
                }

                if (potential < bestPotential)
                {
                    bestPotential = potential;
                    bestTrial = t;
                }
            }

            for (int i = 0; i < n; i++)
            {
                closest[i] = Math.Min(closest[i], candidateDistances[(i * trials) + bestTrial]);
            }

            features.Row(candidates[bestTrial]).CopyTo(centres.AsSpan(c * d, d));
        }

        return centres;
    }

    /// <summary>Squared distances (N×count, row-major) from every sample to <paramref name="count"/> centres.</summary>
    internal static void Distances(FeatureMatrix features, float[] norms, ReadOnlySpan<float> centres, int count, GemmProvider blas, float[] products, Span<float> distances)
    {
        int d = features.Columns;
        Gemm.Multiply(false, true, features.Rows, count, d, 1f, features.Values, centres, 0f, products, blas);
        var cn = new float[count];
        for (int c = 0; c < count; c++)
        {
            var centre = centres.Slice(c * d, d);
            cn[c] = TensorPrimitives.Dot(centre, centre);
        }

        for (int i = 0; i < features.Rows; i++)
        {
            for (int c = 0; c < count; c++)
            {
                distances[(i * count) + c] = Math.Max(0f, norms[i] - (2 * products[(i * count) + c]) + cn[c]);
            }
        }
    }

    private static int Draw(double[] weights, double total, Random random)
    {
        double target = random.NextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (cumulative > target)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private static KMeansResult Lloyd(FeatureMatrix features, float[] norms, float[] centres, KMeansOptions options, double tolerance, CancellationToken cancellation)
    {
        int n = features.Rows;
        int d = features.Columns;
        int k = options.K;
        var products = new float[n * k];
        var distances = new float[n * k];
        var labels = new int[n];
        var sums = new double[k * d];
        var counts = new int[k];
        int iterations = 0;
        for (; iterations < options.MaxIterations; iterations++)
        {
            cancellation.ThrowIfCancellationRequested();
            Distances(features, norms, centres, k, options.Blas, products, distances);
            Assign(distances, k, labels);
            double shift = Update(features, labels, distances, k, centres, sums, counts);
            if (shift <= tolerance)
            {
                iterations++;
                break;
            }
        }

        // The clusters and inertia reported are those of the final centres.
        Distances(features, norms, centres, k, options.Blas, products, distances);
        double inertia = Assign(distances, k, labels);
        return new KMeansResult(labels, centres, inertia, iterations, 0);
    }

    private static double Assign(float[] distances, int k, int[] labels)
    {
        double inertia = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = distances.AsSpan(i * k, k);
            int best = TensorPrimitives.IndexOfMin(row);
            labels[i] = best;
            inertia += row[best];
        }

        return inertia;
    }

    /// <summary>Moves every centre to the mean of its samples; an empty cluster takes the sample farthest from its centre. Returns Σ‖shift‖².</summary>
    private static double Update(FeatureMatrix features, int[] labels, float[] distances, int k, float[] centres, double[] sums, int[] counts)
    {
        int d = features.Columns;
        Array.Clear(sums);
        Array.Clear(counts);
        for (int i = 0; i < labels.Length; i++)
        {
            int c = labels[i];
            counts[c]++;
            var row = features.Row(i);
            var sum = sums.AsSpan(c * d, d);
            for (int j = 0; j < d; j++)
            {
                sum[j] += row[j];
            }
        }

        var taken = new HashSet<int>();
        for (int c = 0; c < k; c++)
        {
            if (counts[c] > 0)
            {
                continue;
            }

            int farthest = -1;
            float far = -1;
            for (int i = 0; i < labels.Length; i++)
            {
                float own = distances[(i * k) + labels[i]];
                if (own > far && counts[labels[i]] > 1 && !taken.Contains(i))
                {
                    far = own;
                    farthest = i;
                }
            }

            if (farthest < 0)
            {
                continue;
            }

            taken.Add(farthest);
            int from = labels[farthest];
            var row = features.Row(farthest);
            for (int j = 0; j < d; j++)
            {
                sums[(from * d) + j] -= row[j];
                sums[(c * d) + j] = row[j];
            }

            counts[from]--;
            counts[c] = 1;
            labels[farthest] = c;
        }

        double shift = 0;
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0)
            {
                continue;
            }

            for (int j = 0; j < d; j++)
            {
                float value = (float)(sums[(c * d) + j] / counts[c]);
                double delta = value - centres[(c * d) + j];
                shift += delta * delta;
                centres[(c * d) + j] = value;
            }
        }

        return shift;
    }

    private static double MeanVariance(FeatureMatrix features)
    {
        var mean = new double[features.Columns];
        var square = new double[features.Columns];
        for (int i = 0; i < features.Rows; i++)
        {
            var row = features.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                mean[j] += row[j];
                square[j] += (double)row[j] * row[j];
            }
        }

        double total = 0;
        for (int j = 0; j < features.Columns; j++)
        {
            double m = mean[j] / features.Rows;
            total += Math.Max(0, (square[j] / features.Rows) - (m * m));
        }

        return total / features.Columns;
    }
}
