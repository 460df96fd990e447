namespace GpuSelfLabel.Datasets;

/// <summary>A dataset loaded for clustering: N×D features (row-major) and the true class of each sample.</summary>
/// <param name="Name">Registry name, e.g. "fashion-mnist".</param>
/// <param name="Split">"train" or "test".</param>
/// <param name="Features">Flattened samples, pixels scaled to [0, 1].</param>
/// <param name="Rows">N.</param>
/// <param name="Columns">D.</param>
/// <param name="Labels">Class of each sample.</param>
/// <param name="Directory">Where the files were found.</param>
public sealed record LabeledDataset(string Name, string Split, float[] Features, int Rows, int Columns, int[] Labels, string Directory);
