namespace GpuSelfLabel.Datasets;

/// <summary>
/// Datasets <c>gsl cluster --dataset NAME</c> knows by name. Files are looked for in the directory
/// given, else in $GSL_DATASETS/NAME, else in /usr/share/datasets/NAME (where the Debian package
/// dataset-fashion-mnist puts them), each as IDX files raw or gzip-compressed.
/// </summary>
public static class DatasetCatalog
{
    private static readonly Dictionary<string, string> InstallHints = new(StringComparer.Ordinal)
    {
        ["fashion-mnist"] = "install it with 'sudo apt-get install dataset-fashion-mnist'",
        ["mnist"] = "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there",
    };

    /// <summary>The names <see cref="Load"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. InstallHints.Keys];

    /// <summary>The splits <see cref="Load"/> accepts: "test" (10,000 images for both datasets) and "train".</summary>
    public static IReadOnlyList<string> Splits { get; } = ["test", "train"];

    /// <summary>Loads images flattened to rows and scaled to [0, 1], with their labels.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <param name="split">"test" (default) or "train".</param>
    /// <param name="directory">Where the IDX files are; null to search the default places.</param>
    /// <exception cref="GslArgumentException">Unknown name or split ("dataset", "split"), or files not found.</exception>
    /// <exception cref="InvalidDataException">A file is found but is not valid IDX, or images and labels disagree.</exception>
    public static LabeledDataset Load(string name, string split = "test", string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(split);
        if (!InstallHints.TryGetValue(name, out var hint))
        {
            throw new GslArgumentException("dataset", $"'{name}' is not one of {string.Join(", ", Names)}");
        }

        if (!Splits.Contains(split))
        {
            throw new GslArgumentException("split", $"'{split}' is not one of {string.Join(", ", Splits)}");
        }

        string prefix = split == "test" ? "t10k" : "train";
        var searched = new List<string>();
        foreach (var folder in Candidates(name, directory))
        {
            searched.Add(folder);
            string? images = Find(folder, $"{prefix}-images-idx3-ubyte");
            string? labels = Find(folder, $"{prefix}-labels-idx1-ubyte");
            if (images is null || labels is null)
            {
                continue;
            }

            var (values, rows, columns) = IdxReader.ReadImages(images);
            var classes = IdxReader.ReadLabels(labels);
            if (classes.Length != rows)
            {
                throw new InvalidDataException($"{Path.GetFileName(labels)} has {classes.Length} labels but {Path.GetFileName(images)} has {rows} images");
            }

            return new LabeledDataset(name, split, values, rows, columns, classes, folder);
        }

        throw new GslArgumentException("dataset", $"'{name}' ({split} split) not found in {string.Join(" or ", searched)}; {hint}");
    }

    private static IEnumerable<string> Candidates(string name, string? directory)
    {
        if (!string.IsNullOrEmpty(directory))
        {
            yield return directory;
            yield break;
        }

        string? root = Environment.GetEnvironmentVariable("GSL_DATASETS");
        if (!string.IsNullOrEmpty(root))
        {
            yield return Path.Combine(root, name);
        }

        yield return Path.Combine("/usr/share/datasets", name);
    }

    private static string? Find(string folder, string stem) =>
        new[] { stem + ".gz", stem }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
}
