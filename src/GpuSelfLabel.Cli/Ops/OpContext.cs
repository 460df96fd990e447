using System.CommandLine;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// What an operation sees while it runs under <c>gsl op</c>: its inputs read from .npy files onto the
/// chosen backend, its parameters, and the <see cref="OutputSet"/> it fills. Tensors it creates are
/// disposed when the operation ends.
/// </summary>
internal sealed class OpContext : IDisposable
{
    private readonly ParseResult parse;
    private readonly IReadOnlyDictionary<string, Option<FileInfo?>> inputs;
    private readonly List<IDisposable> owned = [];

    public OpContext(ParseResult parse, Backend backend, IReadOnlyDictionary<string, Option<FileInfo?>> inputs)
    {
        this.parse = parse;
        this.inputs = inputs;
        Backend = backend;
    }

    public Backend Backend { get; }

    public OutputSet Outputs { get; } = new();

    public T Get<T>(Option<T> option) => parse.GetValue(option)!;

    /// <summary>Whether the optional array input <paramref name="name"/> was given.</summary>
    public bool Has(string name) => parse.GetValue(inputs[name]) is not null;

    /// <summary>A real-valued input as a float32 tensor of its file's shape.</summary>
    public Tensor Tensor(string name)
    {
        var array = Read(name);
        var values = array.Floats ?? Array.ConvertAll(array.Integers!, v => (float)v);
        return Track(Backend.FromArray(values, array.Shape));
    }

    /// <summary>An optional real-valued input, or null when it was not given.</summary>
    public Tensor? OptionalTensor(string name) => Has(name) ? Tensor(name) : null;

    /// <summary>A vector of class indices (int32 or int64 file).</summary>
    public int[] Labels(string name)
    {
        var array = Read(name);
        if (!array.IsInteger)
        {
            throw new UsageException($"argument '{name}': labels must be an int32 or int64 array, got floating-point values");
        }

        if (array.Shape.Length != 1)
        {
            throw new UsageException($"argument '{name}': labels must be a vector, got shape {array.ShapeText}");
        }

        var labels = new int[array.Integers!.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            long v = array.Integers[i];
            if (v is < int.MinValue or > int.MaxValue)
            {
                throw new GslArgumentException(name, $"class index {v} is out of range", i);
            }

            labels[i] = (int)v;
        }

        return labels;
    }

    public void Output(string name, Tensor tensor)
    {
        Track(tensor);
        Outputs.Add(name, NpyArray.OfFloats(tensor.ToArray(), [.. tensor.Shape]));
    }

    public void Output(string name, NpyArray array) => Outputs.Add(name, array);

    public T Track<T>(T disposable)
        where T : IDisposable
    {
        owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var d in owned)
        {
            d.Dispose();
        }
    }

    private NpyArray Read(string name)
    {
        var file = parse.GetValue(inputs[name]) ?? throw new UsageException($"argument '{name}': is required (--{name} FILE.npy)");
        return InputFiles.Read(file, name);
    }
}
