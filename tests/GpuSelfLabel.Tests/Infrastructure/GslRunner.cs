using GpuSelfLabel.Cli;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Tests.Infrastructure;

/// <summary>Runs <c>gsl</c> in-process in a scratch directory and reads its .npy outputs.</summary>
public sealed class GslRunner : IDisposable
{
    public GslRunner()
    {
        Directory = Path.Combine(Path.GetTempPath(), "gsl-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string OutDir => Path.Combine(Directory, "out");

    public string Stdout { get; private set; } = string.Empty;

    public string Stderr { get; private set; } = string.Empty;

    public int Run(params string[] args) => Run(CancellationToken.None, args);

    /// <summary>Runs with a token that stops long commands as Ctrl-C would.</summary>
    public int Run(CancellationToken cancellation, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = GslApp.Run(args, output, error, cancellation);
        Stdout = output.ToString();
        Stderr = error.ToString();
        return code;
    }

    /// <summary>Writes a float32 input file and returns its path.</summary>
    public string Input(string name, float[] values, params long[] shape)
    {
        string path = Path.Combine(Directory, name + ".npy");
        NpyWriter.Write(path, NpyArray.OfFloats(values, shape));
        return path;
    }

    /// <summary>Writes an int64 input file and returns its path.</summary>
    public string Input(string name, long[] values, params long[] shape)
    {
        string path = Path.Combine(Directory, name + ".npy");
        NpyWriter.Write(path, NpyArray.OfIntegers(values, shape));
        return path;
    }

    internal NpyArray Output(string name) => NpyReader.Read(Path.Combine(OutDir, name + ".npy"));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
