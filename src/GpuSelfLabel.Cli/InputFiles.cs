using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli;

/// <summary>
/// The checks every array input of every command shares, so each says the same thing about a path that
/// is a directory, is missing, cannot be read or is not a .npy file: one line naming the argument.
/// </summary>
internal static class InputFiles
{
    /// <summary>The full path of <paramref name="file"/>, which must be an existing file (not a directory).</summary>
    public static string Existing(FileInfo file, string argument)
    {
        if (Directory.Exists(file.FullName))
        {
            throw new UsageException($"argument '{argument}': '{file.FullName}' is a directory; give a .npy file");
        }

        if (!file.Exists)
        {
            throw new UsageException($"argument '{argument}': file '{file.FullName}' does not exist");
        }

        return file.FullName;
    }

    /// <summary>Reads the whole .npy file given as <c>--argument</c>.</summary>
    public static NpyArray Read(FileInfo file, string argument)
    {
        string path = Existing(file, argument);
        return Reading(file, argument, () => NpyReader.Read(path));
    }

    /// <summary>Runs <paramref name="read"/>, turning a bad file or an unreadable one into a usage error naming the argument.</summary>
    public static T Reading<T>(FileInfo file, string argument, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (NpyFormatException e)
        {
            throw new UsageException($"argument '{argument}': {file.Name}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"argument '{argument}': cannot read '{file.FullName}': {e.Message}", e);
        }
    }
}
