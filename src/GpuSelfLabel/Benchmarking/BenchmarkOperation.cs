using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// An operation the benchmark can time: its name (the <c>gsl op</c> name where there is one), what a
/// timed call covers, and the minimal-traffic model that turns a time into an effective bandwidth.
/// The list is <see cref="BenchmarkOperations.All"/>.
/// </summary>
public sealed class BenchmarkOperation
{
    private readonly Func<Backend, BenchmarkSize, long> bytes;

    internal BenchmarkOperation(
        string name, BenchmarkScope scope, string bytesModel,
        Func<Backend, BenchmarkSize, long> bytes, Func<Backend, BenchmarkSize, BenchmarkCase> prepare)
    {
        Name = name;
        Scope = scope;
        BytesModel = bytesModel;
        this.bytes = bytes;
        Prepare = prepare;
    }

    /// <summary>The name <c>gsl bench --ops</c> takes, e.g. "softmax".</summary>
    public string Name { get; }

    /// <summary>Whether a timed call is the backend pass alone or the public call with its validation.</summary>
    public BenchmarkScope Scope { get; }

    /// <summary>The traffic model in words, e.g. "reads z, writes σ: 8·E" (E = N·K).</summary>
    public string BytesModel { get; }

    /// <summary>Allocates and fills the inputs and outputs of one size on a backend.</summary>
    internal Func<Backend, BenchmarkSize, BenchmarkCase> Prepare { get; }

    /// <summary>The minimal bytes one call moves at <paramref name="size"/> on <paramref name="backend"/>.</summary>
    public long Bytes(Backend backend, BenchmarkSize size) => bytes(backend, size);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
