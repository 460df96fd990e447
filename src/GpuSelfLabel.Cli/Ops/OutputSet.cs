using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// The files one command writes. Nothing touches the output folder until every result exists; then
/// each file is written under a temporary name and renamed, so a failure leaves no partial output.
/// </summary>
internal sealed class OutputSet
{
    private readonly List<(string Name, NpyArray Array)> arrays = [];
    private readonly List<(string FileName, string Text)> texts = [];
    private readonly List<(string Name, Action<Stream> Write)> streamed = [];

    public IReadOnlyList<(string Name, NpyArray Array)> Arrays => arrays;

    public void Add(string name, NpyArray array) => arrays.Add((name, array));

    /// <summary>A text file (a JSON report) written with the arrays, under its full file name.</summary>
    public void AddText(string fileName, string text) => texts.Add((fileName, text));

    /// <summary>An array too large for one .NET array: <paramref name="write"/> writes the whole .npy file.</summary>
    public void AddStreamed(string name, Action<Stream> write) => streamed.Add((name, write));

    /// <summary>
    /// Refuses an <c>--out</c> that can never hold the outputs (an existing file such as /dev/null, or a
    /// path under /proc, /sys or /dev), before any work is done.
    /// </summary>
    public static void CheckTarget(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new UsageException($"argument 'out': '{full}' is an existing file, not a directory");
        }

        foreach (var system in (string[])["/proc", "/sys", "/dev"])
        {
            if (full == system || full.StartsWith(system + "/", StringComparison.Ordinal))
            {
                throw new UsageException($"argument 'out': '{full}' lies under {system}, which holds no user files; choose another directory");
            }
        }
    }

    public void Commit(string directory)
    {
        CheckTarget(directory);
        var written = new List<string>();
        try
        {
            Directory.CreateDirectory(directory);
            foreach (var (name, array) in arrays)
            {
                string temporary = Path.Combine(directory, $".{name}.npy.{Environment.ProcessId}.tmp");
                written.Add(temporary);
                NpyWriter.Write(temporary, array);
            }

            foreach (var (fileName, text) in texts)
            {
                string temporary = Path.Combine(directory, $".{fileName}.{Environment.ProcessId}.tmp");
                written.Add(temporary);
                File.WriteAllText(temporary, text);
            }

            foreach (var (name, write) in streamed)
            {
                string temporary = Path.Combine(directory, $".{name}.npy.{Environment.ProcessId}.tmp");
                written.Add(temporary);
                using var stream = File.Create(temporary);
                write(stream);
            }

            for (int i = 0; i < arrays.Count; i++)
            {
                File.Move(written[i], Path.Combine(directory, arrays[i].Name + ".npy"), overwrite: true);
            }

            for (int i = 0; i < texts.Count; i++)
            {
                File.Move(written[arrays.Count + i], Path.Combine(directory, texts[i].FileName), overwrite: true);
            }

            for (int i = 0; i < streamed.Count; i++)
            {
                File.Move(written[arrays.Count + texts.Count + i], Path.Combine(directory, streamed[i].Name + ".npy"), overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Delete(written);
            throw new UsageException($"argument 'out': cannot write to '{Path.GetFullPath(directory)}': {e.Message}", e);
        }
        catch
        {
            Delete(written);
            throw;
        }
    }

    private static void Delete(List<string> paths)
    {
        foreach (var path in paths)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing more can be done about a file that cannot be removed; the first error is the one to report.
            }
        }
    }
}
