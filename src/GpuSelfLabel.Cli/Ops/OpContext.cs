using System.CommandLine;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.Ops;

/// <summary>
/// What an operation sees while it runs under <c>gsl op</c>: its inputs read from .npy files onto the
/// chosen backend (float32 files memory-mapped, not copied, on the CPU), its parameters, and the
/// <see cref="OutputSet"/> it fills with the outputs <c>--outputs</c> asked for. Tensors it creates
/// are disposed when the operation ends, after the outputs have been written from them.
/// </summary>
internal sealed class OpContext : IDisposable
{
    private readonly ParseResult parse;
    private readonly IReadOnlyDictionary<string, Option<FileInfo?>> inputs;
    private readonly IReadOnlySet<string>? selected;
    private readonly HashSet<string> produced = new(StringComparer.Ordinal);
    private readonly List<IDisposable> owned = [];

    /// <param name="parse">The parsed command line.</param>
    /// <param name="backend">Where the operation runs.</param>
    /// <param name="inputs">The <c>--NAME FILE.npy</c> options by input name.</param>
    /// <param name="selected">The outputs <c>--outputs</c> named, or null for all the run produces.</param>
    public OpContext(ParseResult parse, Backend backend, IReadOnlyDictionary<string, Option<FileInfo?>> inputs, IReadOnlySet<string>? selected)
    {
        this.parse = parse;
        this.inputs = inputs;
        this.selected = selected;
        Backend = backend;
    }

    public Backend Backend { get; }

    public OutputSet Outputs { get; } = new();

    /// <summary>One-line warnings for stderr, printed once the outputs are written (a run that did not converge).</summary>
    public List<string> Warnings { get; } = [];

    public T Get<T>(Option<T> option) => parse.GetValue(option)!;

    /// <summary>The SeLa options of the parsed command line.</summary>
    public SinkhornOptions Read(SinkhornParameters parameters, bool computeCodes) => parameters.Read(parse, computeCodes);

    /// <summary>Whether the optional array input <paramref name="name"/> was given.</summary>
    public bool Has(string name) => parse.GetValue(inputs[name]) is not null;

    /// <summary>A real-valued input as a float32 tensor of its file's shape.</summary>
    public Tensor Tensor(string name)
    {
        var file = parse.GetValue(inputs[name]) ?? throw new UsageException($"argument '{name}': is required (--{name} FILE.npy)");
        return InputFiles.Floats(file, name, Backend, owned.Add);
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

    /// <summary>Whether the output <paramref name="name"/> is to be written (so worth computing when it is optional).</summary>
    public bool Wants(string name) => selected?.Contains(name) ?? true;

    /// <summary>Whether <c>--outputs</c> named <paramref name="name"/> (so an output that is off by default is asked for).</summary>
    public bool Named(string name) => selected?.Contains(name) ?? false;

    /// <summary>The outputs <c>--outputs</c> named that the run did not produce (an optional one whose input was not given).</summary>
    public IEnumerable<string> Missing => selected?.Where(name => !produced.Contains(name)) ?? [];

    /// <summary>A float32 tensor output of its own shape; written from the tensor's memory, which this context now owns.</summary>
    public void Output(string name, Tensor tensor) => Output(name, tensor, [.. tensor.Shape]);

    /// <summary>A float32 tensor output written as an array of <paramref name="shape"/> (same element count).</summary>
    public void Output(string name, Tensor tensor, long[] shape)
    {
        Track(tensor);
        produced.Add(name);
        if (Wants(name))
        {
            Outputs.Add(name, tensor, shape);
        }
    }

    /// <summary>A small output (a scalar, labels) already in host memory.</summary>
    public void Output(string name, NpyArray array)
    {
        produced.Add(name);
        if (Wants(name))
        {
            Outputs.Add(name, array);
        }
    }

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
