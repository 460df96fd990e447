using System.CommandLine;
using GpuSelfLabel.Cli.LargeSinkhorn;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// The files one command writes, and cli.md's rule for <c>--out DIR</c>: DIR receives the whole output
/// set of one run or nothing. DIR must be new or empty; <c>--overwrite</c> replaces a DIR that holds
/// only gsl outputs (<c>*.npy</c>, <c>*.json</c>) as a whole, so no stale file of an earlier run (an old
/// codes.npy) survives. Nothing is written until every result exists; then the files are written into
/// a staging directory beside DIR and that directory is renamed to DIR. A failure removes the staging
/// directory and leaves DIR as it was.
/// </summary>
internal sealed class OutputSet
{
    /// <summary>The rule in one sentence, for <c>--help</c>.</summary>
    public const string Rule = "written whole or not at all; DIR must be new or empty unless --overwrite";

    private readonly List<(string FileName, string Shape, Action<Stream> Write)> files = [];

    /// <summary>The files of the set in the order they were added, with each array's shape ("(2, 3)"; "" for text).</summary>
    public IEnumerable<(string FileName, string Shape)> Files => files.Select(f => (f.FileName, f.Shape));

    /// <summary>The <c>--overwrite</c> flag of every command that writes outputs.</summary>
    public static Option<bool> OverwriteOption() => new("--overwrite")
    {
        Description = "Replace an existing --out directory that holds only gsl outputs (*.npy, *.json) as a whole, old files included",
    };

    public void Add(string name, NpyArray array) =>
        files.Add((name + ".npy", array.ShapeText, stream => NpyWriter.Write(stream, array)));

    /// <summary>
    /// A float32 tensor written straight from its memory when the set is committed (no copy on the
    /// CPU), as an array of <paramref name="shape"/> (the tensor's own shape, or one of the same size).
    /// The tensor must stay alive until then.
    /// </summary>
    public void Add(string name, Tensor tensor, IReadOnlyList<long> shape) =>
        files.Add((name + ".npy", NpyWriter.ShapeText(shape), stream => TensorFiles.WriteFloats(stream, tensor, shape)));

    /// <summary>A text file (a JSON report) written with the arrays, under its full file name.</summary>
    public void AddText(string fileName, string text) =>
        files.Add((fileName, string.Empty, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text))));

    /// <summary>
    /// Refuses an <c>--out</c> that cannot take the outputs under the rule: an existing file (such as
    /// /dev/null) or a path below one, a path under /proc, /sys or /dev, a non-empty directory without
    /// <paramref name="overwrite"/>, or with it a directory holding anything gsl does not write. Called
    /// before any work is done, and again when the outputs are committed.
    /// </summary>
    public static void CheckTarget(string directory, bool overwrite)
    {
        string full = FullPath(directory);
        if (File.Exists(full))
        {
            throw new UsageException($"argument 'out': '{full}' is an existing file, not a directory");
        }

        for (string? above = Path.GetDirectoryName(full); above is not null && !Directory.Exists(above); above = Path.GetDirectoryName(above))
        {
            if (File.Exists(above))
            {
                throw new UsageException($"argument 'out': '{full}' lies below '{above}', an existing file, not a directory");
            }
        }

        foreach (var system in (string[])["/proc", "/sys", "/dev"])
        {
            if (full == system || full.StartsWith(system + "/", StringComparison.Ordinal))
            {
                throw new UsageException($"argument 'out': '{full}' lies under {system}, which holds no user files; choose another directory");
            }
        }

        if (Path.GetDirectoryName(full) is null)
        {
            throw new UsageException($"argument 'out': '{full}' is the root directory; choose a directory for the outputs");
        }

        if (!Directory.Exists(full))
        {
            return;
        }

        var entries = Directory.GetFileSystemEntries(full);
        if (entries.Length == 0)
        {
            return;
        }

        if (!overwrite)
        {
            throw new UsageException($"argument 'out': '{full}' is not empty; choose a new directory, or pass --overwrite to replace its gsl outputs as a whole");
        }

        foreach (var entry in entries)
        {
            if (!IsGslOutput(entry))
            {
                throw new UsageException($"argument 'out': '{full}' holds '{Path.GetFileName(entry)}', which gsl does not write; --overwrite replaces only directories of gsl outputs (*.npy, *.json)");
            }
        }
    }

    /// <summary>Writes the set to <paramref name="directory"/> under the rule of this class.</summary>
    public void Commit(string directory, bool overwrite)
    {
        CheckTarget(directory, overwrite);
        string full = FullPath(directory);
        string parent = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        string staging = Path.Combine(parent, $".{name}.gsl-{Environment.ProcessId}.new");
        string previous = Path.Combine(parent, $".{name}.gsl-{Environment.ProcessId}.old");
        bool staged = false;
        try
        {
            Directory.CreateDirectory(parent);
            Directory.CreateDirectory(staging);
            staged = true;
            WriteFiles(staging);
            if (Directory.Exists(full))
            {
                Directory.Move(full, previous);
                try
                {
                    Directory.Move(staging, full);
                }
                catch
                {
                    Directory.Move(previous, full);
                    throw;
                }

                staged = false;
                Directory.Delete(previous, recursive: true);
            }
            else
            {
                Directory.Move(staging, full);
                staged = false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RemoveStaging(staged, staging);
            throw new UsageException($"argument 'out': cannot write to '{full}': {e.Message}", e);
        }
        catch
        {
            RemoveStaging(staged, staging);
            throw;
        }
    }

    /// <summary>The absolute path without a trailing separator: "out/" names the directory out, as in the README's examples.</summary>
    private static string FullPath(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    private static bool IsGslOutput(string path) =>
        File.Exists(path) && (path.EndsWith(".npy", StringComparison.Ordinal) || path.EndsWith(".json", StringComparison.Ordinal));

    private static void RemoveStaging(bool staged, string staging)
    {
        if (!staged)
        {
            return;
        }

        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done about a directory that cannot be removed; the first error is the one to report.
        }
    }

    private void WriteFiles(string directory)
    {
        foreach (var (fileName, _, write) in files)
        {
            using var stream = new FileStream(Path.Combine(directory, fileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            write(stream);
        }
    }
}
