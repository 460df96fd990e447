using System.Diagnostics;
using GpuSelfLabel.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace GpuSelfLabel.Train;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>What one epoch did: its mean loss and, where labels exist, the scores of the clusters after it.</summary>
internal sealed record EpochReport(int Epoch, int Epochs, double Loss, ClusteringScores? Scores, double Seconds);

/// <summary>
/// The trained network, the clusters of the scored images and how training went: the mean loss over
/// heads per epoch, and per head its last epoch's loss and (where labels exist) its scores. The
/// chosen head is the network's <see cref="ClusterNet.Head"/>.
/// </summary>
internal sealed record TrainResult(ClusterNet Network, int[] Clusters, ClusteringScores? Scores, IReadOnlyList<double> EpochLosses, IReadOnlyList<double> HeadLosses, IReadOnlyList<ClusteringScores>? HeadScores, double Seconds);

/// <summary>
/// An ordinary TorchSharp training loop: shuffled batches, two augmented views, the method's loss
/// (averaged over the heads), Adam with a cosine learning-rate schedule. Clusters are the argmax of
/// the logits of the clean images in eval mode, from the head whose loss was lowest in the epoch just
/// trained: a choice made without labels, which guards against the one bad start (two classes
/// merged, one split) that a single head from some seeds settles into. Seeded by torch.manual_seed,
/// so equal options give equal clusters.
/// </summary>
internal static class Trainer
{
    private const int EvalBatch = 2048;

    public static TrainResult Run(TrainOptions o, TrainData data, IProgress<EpochReport>? progress, Action<double>? batchProgress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(data);
        TorchSharpLoader.EnsureLoaded();
        if (o.Threads > 0)
        {
            torch.set_num_threads(o.Threads);
        }

        torch.manual_seed(o.Seed);
        var clock = Stopwatch.StartNew();
        long[] dims = [data.TrainRows, .. data.Shape.Select(s => (long)s)];
        using var train = torch.tensor(data.Train, dims);
        long[] scoredDims = [data.ScoredRows, .. data.Shape.Select(s => (long)s)];
        using var scored = torch.tensor(data.Scored, scoredDims);

        var net = new ClusterNet(o.Network, data.Shape, o.K, SelfLabelMethod.UsesCosineHead(o.Method), o.Heads);
        var augment = new Augmenter(data.Shape, data.Flip);
        int batch = Math.Min(o.BatchSize, data.TrainRows);
        int steps = data.TrainRows / batch; // a last partial batch is dropped: the solvers want full, balanced batches
        using var neighbours = o.Neighbours > 0 ? Neighbours.Find(train, o.Neighbours) : null;
        using var optimizer = torch.optim.Adam(net.parameters(), o.LearningRate, weight_decay: 1e-5);
        var schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, o.Epochs * steps);

        var losses = new List<double>();
        var headLosses = new double[net.HeadCount];
        int[] clusters = [];
        ClusteringScores? scores = null;
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            net.train();
            double sum = 0;
            Array.Clear(headLosses);
            using (var order = torch.randperm(data.TrainRows))
            {
                for (int step = 0; step < steps; step++)
                {
                    using var scope = torch.NewDisposeScope();
                    var rows = order.narrow(0, (long)step * batch, batch);
                    var x = train.index_select(0, rows);
                    var logits1 = net.ForwardHeads(augment.View(x));
                    var logits2 = net.ForwardHeads(augment.View(neighbours is null ? x : train.index_select(0, Partners(neighbours, rows))));
                    Tensor? loss = null;
                    for (int h = 0; h < logits1.Length; h++)
                    {
                        var headLoss = SelfLabelMethod.Loss(o.Method, logits1[h], logits2[h], o.Lambda);
                        headLosses[h] += headLoss.item<float>();
                        loss = loss is null ? headLoss : loss + headLoss;
                    }

                    loss = loss! / logits1.Length;
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    schedule.step();
                    sum += loss.item<float>();
                    batchProgress?.Invoke(epoch - 1 + (step + 1.0) / steps);
                    cancel.ThrowIfCancellationRequested();
                }
            }

            losses.Add(sum / steps);
            net.Head = Array.IndexOf(headLosses, headLosses.Min());
            bool last = epoch == o.Epochs;
            if (last || (progress is not null && data.ScoredLabels is not null))
            {
                clusters = Predict(net, scored);
                scores = data.ScoredLabels is { } truth ? ClusteringMetrics.Evaluate(clusters, truth) : null;
            }

            progress?.Report(new EpochReport(epoch, o.Epochs, losses[^1], scores, clock.Elapsed.TotalSeconds));
        }

        var headScores = data.ScoredLabels is { } labels && net.HeadCount > 1 ? ScoreHeads(net, scored, labels) : null;
        return new TrainResult(net, clusters, scores, losses, headLosses.Select(l => l / steps).ToArray(), headScores, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Every head's scores (for the report; the choice of head never sees them).</summary>
    private static ClusteringScores[] ScoreHeads(ClusterNet net, Tensor scored, int[] labels)
    {
        int chosen = net.Head;
        var result = new ClusteringScores[net.HeadCount];
        for (int h = 0; h < net.HeadCount; h++)
        {
            net.Head = h;
            result[h] = ClusteringMetrics.Evaluate(Predict(net, scored), labels);
        }

        net.Head = chosen;
        return result;
    }

    /// <summary>One random neighbour of each row of the batch.</summary>
    private static Tensor Partners(Tensor neighbours, Tensor rows)
    {
        var pick = torch.randint(0, neighbours.shape[1], [rows.shape[0], 1], dtype: ScalarType.Int64);
        return neighbours.index_select(0, rows).gather(1, pick).squeeze(1);
    }

    public static int[] Predict(ClusterNet net, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(images);
        net.eval();
        var clusters = new int[images.shape[0]];
        using var noGrad = torch.no_grad();
        for (long start = 0; start < images.shape[0]; start += EvalBatch)
        {
            using var scope = torch.NewDisposeScope();
            long count = Math.Min(EvalBatch, images.shape[0] - start);
            var labels = net.forward(images.narrow(0, start, count)).argmax(1).to_type(ScalarType.Int32);
            labels.data<int>().CopyTo(clusters, (int)start);
        }

        return clusters;
    }
}
