using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// The files one command writes. Nothing touches the output folder until every result exists; then
/// each file is written under a temporary name and renamed, so a failure leaves no partial output.
/// </summary>
internal sealed class OutputSet
{
    private readonly List<(string Name, NpyArray Array)> arrays = [];

    public IReadOnlyList<(string Name, NpyArray Array)> Arrays => arrays;

    public void Add(string name, NpyArray array) => arrays.Add((name, array));

    public void Commit(string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        try
        {
            foreach (var (name, array) in arrays)
            {
                string temporary = Path.Combine(directory, $".{name}.npy.{Environment.ProcessId}.tmp");
                written.Add(temporary);
                NpyWriter.Write(temporary, array);
            }

            for (int i = 0; i < arrays.Count; i++)
            {
                File.Move(written[i], Path.Combine(directory, arrays[i].Name + ".npy"), overwrite: true);
            }
        }
        catch
        {
            foreach (var path in written)
            {
                File.Delete(path);
            }

            throw;
        }
    }
}
