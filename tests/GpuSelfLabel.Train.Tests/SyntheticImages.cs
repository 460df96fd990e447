using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Train.Tests;

/// <summary>
/// A small separable image set: 12×12 images of four classes, each a bright 5×5 square in its own
/// quadrant on a noisy background, written as .npy files the way a user would pass them.
/// </summary>
internal sealed class SyntheticImages : IDisposable
{
    public const int Side = 12;

    public SyntheticImages(int perClass = 128, int seed = 1)
    {
        var random = new Random(seed);
        Rows = perClass * 4;
        Pixels = new float[Rows * Side * Side];
        Labels = new long[Rows];
        for (int i = 0; i < Rows; i++)
        {
            int c = i % 4;
            Labels[i] = c;
            int top = c / 2 * 6 + 1, left = c % 2 * 6;
            for (int y = 0; y < Side; y++)
            {
                for (int x = 0; x < Side; x++)
                {
                    bool inside = y >= top && y < top + 5 && x >= left + 1 && x < left + 6;
                    Pixels[(i * Side + y) * Side + x] = (inside ? 0.9f : 0.05f) + (float)(random.NextDouble() * 0.1);
                }
            }
        }

        Folder = Directory.CreateTempSubdirectory("gsl-train-tests-").FullName;
        ImagesPath = Path.Combine(Folder, "x.npy");
        LabelsPath = Path.Combine(Folder, "y.npy");
        NpyWriter.Write(ImagesPath, NpyArray.OfFloats(Pixels, Rows, Side, Side));
        NpyWriter.Write(LabelsPath, NpyArray.OfIntegers(Labels, Rows));
    }

    public int Rows { get; }

    public float[] Pixels { get; }

    public long[] Labels { get; }

    public string Folder { get; }

    public string ImagesPath { get; }

    public string LabelsPath { get; }

    public string Write(string name, NpyArray array)
    {
        string path = Path.Combine(Folder, name);
        NpyWriter.Write(path, array);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
