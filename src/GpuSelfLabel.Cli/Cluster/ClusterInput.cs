using System.Diagnostics;
using GpuSelfLabel.Cli.Npy;
using GpuSelfLabel.Clustering;
using GpuSelfLabel.Datasets;

namespace GpuSelfLabel.Cli.Cluster;

/// <summary>The data <c>gsl cluster</c> works on: checked features, optional true labels, where they came from.</summary>
/// <param name="Features">N×D features (images flattened, pixels in [0, 1]).</param>
/// <param name="Labels">True classes, for ACC/NMI/ARI; null when none were given.</param>
/// <param name="Source">The file or dataset, in words.</param>
/// <param name="Seconds">Time spent reading and checking.</param>
internal sealed record ClusterInput(FeatureMatrix Features, int[]? Labels, string Source, double Seconds)
{
    /// <summary>Reads <c>--features</c> (.npy) or <c>--dataset</c> (IDX), and <c>--labels</c>, checking every rule of cli.md.</summary>
    public static ClusterInput Load(FileInfo? features, string? dataset, string split, DirectoryInfo? datasetDirectory, FileInfo? labels)
    {
        var clock = Stopwatch.StartNew();
        if (features is null == dataset is null)
        {
            throw new UsageException(features is null
                ? "argument 'features': give --features FILE.npy or --dataset NAME"
                : "argument 'dataset': give either --features FILE.npy or --dataset NAME, not both");
        }

        if (dataset is not null)
        {
            if (labels is not null)
            {
                throw new UsageException($"argument 'labels': --dataset {dataset} brings its own labels; --labels goes with --features");
            }

            LabeledDataset data;
            try
            {
                data = DatasetCatalog.Load(dataset, split, datasetDirectory?.FullName);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"argument 'dataset': {e.Message}", e);
            }

            var matrix = FeatureMatrix.Create(data.Features, data.Rows, data.Columns);
            return new ClusterInput(matrix, data.Labels, $"{data.Name} {data.Split} split ({data.Rows} × {data.Columns}, {data.Directory})", clock.Elapsed.TotalSeconds);
        }

        var array = Read(features!, "features");
        if (array.Shape.Length < 2)
        {
            throw new GslArgumentException("features", $"must be an N×D matrix (images N×H×W are flattened), got shape {array.ShapeText}");
        }

        long rows = array.Shape[0];
        long columns = rows == 0 ? 0 : array.Length / rows;
        if (rows > int.MaxValue || columns > int.MaxValue || array.Length > Array.MaxLength)
        {
            throw new GslArgumentException("features", $"shape {array.ShapeText} is too large for one host array");
        }

        var values = array.Floats ?? Array.ConvertAll(array.Integers!, v => (float)v);
        var checkedFeatures = FeatureMatrix.Create(values, (int)rows, (int)columns);
        int[]? classes = labels is null ? null : ReadLabels(labels, checkedFeatures.Rows);
        return new ClusterInput(checkedFeatures, classes, $"{features!.Name} ({rows} × {columns})", clock.Elapsed.TotalSeconds);
    }

    private static int[] ReadLabels(FileInfo file, int rows)
    {
        var array = Read(file, "labels");
        if (!array.IsInteger)
        {
            throw new GslArgumentException("labels", "must be an int32 or int64 array of class indices, got floating-point values");
        }

        if (array.Shape.Length != 1)
        {
            throw new GslArgumentException("labels", $"must be a vector of N class indices, got shape {array.ShapeText}");
        }

        if (array.Length != rows)
        {
            throw new GslArgumentException("labels", $"has {array.Length} labels but the features have N = {rows} rows; they must agree");
        }

        var result = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            long v = array.Integers![i];
            if (v is < 0 or > int.MaxValue)
            {
                throw new GslArgumentException("labels", $"class index {v} is out of range; labels must be in 0 … {int.MaxValue}", i);
            }

            result[i] = (int)v;
        }

        return result;
    }

    private static NpyArray Read(FileInfo file, string argument) => InputFiles.Read(file, argument);
}
