using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Datasets;

namespace GpuSelfLabel.Train;

/// <summary>
/// The images a run trains on (no labels reach training) and the images it scores, with the labels
/// used only to score. For a dataset: the train split (less any hold-out) and the test split, or the
/// held-out train images when choosing defaults. For --images: the same images for both.
/// </summary>
/// <param name="Train">Training images, N×C×H×W (or N×D for flat inputs), float32 in memory order.</param>
/// <param name="TrainRows">How many training images.</param>
/// <param name="Shape">Per-image shape: [C, H, W] or [D].</param>
/// <param name="Scored">Images whose clusters are reported.</param>
/// <param name="ScoredRows">How many scored images.</param>
/// <param name="ScoredLabels">Their labels, or null (then no scores).</param>
/// <param name="ScoredOn">"test", "train-holdout" or "images".</param>
/// <param name="Flip">Whether a horizontal flip is a fitting augmentation (clothes yes, digits no).</param>
internal sealed record TrainData(float[] Train, int TrainRows, int[] Shape, float[] Scored, int ScoredRows, int[]? ScoredLabels, string ScoredOn, bool Flip)
{
    public int Features => Shape.Aggregate(1, (a, b) => a * b);

    public bool IsImage => Shape.Length == 3;

    public static TrainData Load(TrainOptions o)
    {
        var data = o.Dataset is { } name ? FromDataset(name, o) : FromFiles(o);
        if (o.K > data.TrainRows)
        {
            throw new UsageException("--k", $"{o.K} clusters need at least as many training images, got {data.TrainRows}");
        }

        return data;
    }

    private static TrainData FromDataset(string name, TrainOptions o)
    {
        var train = DatasetCatalog.Load(name, "train");
        int side = (int)Math.Round(Math.Sqrt(train.Columns));
        int[] shape = side * side == train.Columns ? [1, side, side] : [train.Columns];
        int d = train.Columns;
        int trainRows = train.Rows;
        float[] scored;
        int[] scoredLabels;
        string scoredOn;
        if (o.Holdout > 0)
        {
            if (o.Holdout >= train.Rows)
            {
                throw new UsageException("--holdout", $"must be below the {train.Rows} train images");
            }

            trainRows = train.Rows - o.Holdout;
            scored = train.Features.AsSpan(trainRows * d).ToArray();
            scoredLabels = train.Labels.AsSpan(trainRows).ToArray();
            scoredOn = "train-holdout";
        }
        else
        {
            var test = DatasetCatalog.Load(name, "test");
            scored = test.Features;
            scoredLabels = test.Labels;
            scoredOn = "test";
        }

        if (o.Limit > 0)
        {
            trainRows = Math.Min(trainRows, o.Limit);
        }

        var images = trainRows * d == train.Features.Length ? train.Features : train.Features.AsSpan(0, trainRows * d).ToArray();
        return new TrainData(images, trainRows, shape, scored, scoredLabels.Length, scoredLabels, scoredOn, Flip: name == "fashion-mnist");
    }

    private static TrainData FromFiles(TrainOptions o)
    {
        var images = Read(o.Images!, "--images");
        if (images.IsInteger)
        {
            throw new UsageException("--images", "must hold float32 or float64 pixels, not integers");
        }

        int[] shape = images.Shape.Length switch
        {
            2 => [(int)images.Shape[1]],
            3 => [1, (int)images.Shape[1], (int)images.Shape[2]],
            4 => [(int)images.Shape[1], (int)images.Shape[2], (int)images.Shape[3]],
            _ => throw new UsageException("--images", $"shape {images.ShapeText} is not N×D, N×H×W or N×C×H×W"),
        };
        int rows = (int)images.Shape[0];
        int d = shape.Aggregate(1, (a, b) => a * b);
        if (rows < 2 || d < 1)
        {
            throw new UsageException("--images", $"shape {images.ShapeText} needs at least 2 images of at least 1 value");
        }

        var pixels = images.Floats!;
        for (int i = 0; i < pixels.Length; i++)
        {
            if (!float.IsFinite(pixels[i]))
            {
                throw new UsageException("--images", $"row {i / d} has a non-finite value ({pixels[i]})");
            }
        }

        int[]? labels = null;
        if (o.Labels is { } labelPath)
        {
            var y = Read(labelPath, "--labels");
            if (!y.IsInteger)
            {
                throw new UsageException("--labels", "must hold int32 or int64 class indices, not floating-point values");
            }

            if (y.Shape.Length != 1)
            {
                throw new UsageException("--labels", $"must be a 1-D array of class indices, got shape {y.ShapeText}");
            }

            if (y.Length != rows)
            {
                throw new UsageException("--labels", $"has {y.Length} labels but --images has {rows} rows");
            }

            labels = new int[rows];
            for (int i = 0; i < rows; i++)
            {
                long v = y.Integers![i];
                labels[i] = v is >= 0 and <= int.MaxValue ? (int)v : throw new UsageException("--labels", $"row {i} is {v}, not a class index ≥ 0");
            }
        }

        int trainRows = o.Limit > 0 ? Math.Min(rows, o.Limit) : rows;
        var train = trainRows == rows ? pixels : pixels.AsSpan(0, trainRows * d).ToArray();
        return new TrainData(train, trainRows, shape, pixels, rows, labels, "images", Flip: false);
    }

    private static NpyArray Read(string path, string argument)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException(argument, $"{path} is a directory, not a .npy file");
        }

        try
        {
            return NpyReader.Read(path);
        }
        catch (NpyFormatException e)
        {
            throw new UsageException(argument, $"{path}: {e.Message}");
        }
        catch (IOException e)
        {
            throw new UsageException(argument, $"{path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException(argument, $"{path}: {e.Message}");
        }
    }
}
