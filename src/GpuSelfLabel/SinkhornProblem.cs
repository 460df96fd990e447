using GpuSelfLabel.Backends;
using GpuSelfLabel.Validation;

namespace GpuSelfLabel;

/// <summary>
/// The score matrix of a SeLa solve (ops.md §5) and the backend that solves it, for problems of any
/// size: N×K or H×N×K logits on the solving backend or in host memory (RAM or a memory-mapped file,
/// see <see cref="Backend.Wrap"/>), stored as float32, float16 or bfloat16; or features (N×D) and a
/// classifier (D×K and bias K, or H×D×K and H×K for H heads) from which each chunk of scores
/// z = x·W + b is recomputed, so the N×K matrix is never stored. Shapes and element types are checked
/// here; values when the solve starts.
/// </summary>
public sealed class SinkhornProblem
{
    private SinkhornProblem(Backend backend, SinkhornSourceKind kind, int heads, long rows, long columns, DType storageType, long featureDimension)
    {
        Backend = backend;
        Kind = kind;
        Heads = heads;
        Rows = rows;
        Columns = columns;
        StorageType = storageType;
        FeatureDimension = featureDimension;
    }

    /// <summary>The backend that runs the passes and holds the results.</summary>
    public Backend Backend { get; }

    /// <summary>How the matrix reaches <see cref="Backend"/>.</summary>
    public SinkhornSourceKind Kind { get; }

    /// <summary>Number of independent problems H.</summary>
    public int Heads { get; }

    /// <summary>Samples N per head.</summary>
    public long Rows { get; }

    /// <summary>Clusters K.</summary>
    public long Columns { get; }

    /// <summary>Element type of the scores as the passes read them (float32 for features).</summary>
    public DType StorageType { get; }

    /// <summary>D of a features problem, else 0.</summary>
    public long FeatureDimension { get; }

    internal Tensor? Logits { get; private init; }

    internal Tensor? Features { get; private init; }

    internal Tensor? Weights { get; private init; }

    internal Tensor? Bias { get; private init; }

    /// <summary>
    /// N×K or H×N×K logits stored as float32, float16 or bfloat16. They are read in place when they live
    /// on <paramref name="backend"/> (default: their own backend), else streamed there chunk by chunk;
    /// one side must then be the CPU.
    /// </summary>
    public static SinkhornProblem FromLogits(Tensor logits, Backend? backend = null)
    {
        Guard.NotNull(logits, nameof(logits));
        if (logits.Rank is not (2 or 3))
        {
            throw new GslArgumentException(nameof(logits), $"must be N×K or H×N×K, got shape {logits.ShapeText}");
        }

        Guard.Scores(logits, nameof(logits), logits.Rank);
        Guard.MinColumns(logits, nameof(logits), 2);
        backend ??= logits.Backend;
        var kind = ReferenceEquals(backend, logits.Backend) ? SinkhornSourceKind.Resident : SinkhornSourceKind.Streamed;
        if (kind == SinkhornSourceKind.Streamed && !logits.Backend.HostAddressable && !backend.HostAddressable)
        {
            throw new GslArgumentException(nameof(logits), $"lives on backend '{logits.Backend.Name}'; to solve on '{backend.Name}' it must be in host memory (the CPU backend) or on '{backend.Name}'");
        }

        int heads = logits.Rank == 3 ? checked((int)logits.Shape[0]) : 1;
        return new SinkhornProblem(backend, kind, heads, logits.Shape[^2], logits.Columns, logits.DType, 0) { Logits = logits };
    }

    /// <summary>
    /// Scores z = x·W + b recomputed per chunk from features x (N×D) and a classifier W (D×K, or H×D×K
    /// for H heads) with an optional bias b (K, or H×K), all float32 in host memory (the CPU backend).
    /// On the CPU the product runs with <see cref="Gemm"/> (OpenBLAS where installed); on CUDA with
    /// cuBLAS when libcublas is installed (the features chunk is copied over, W stays on the device);
    /// on other GPU backends on the host, each chunk of scores then being copied to the device.
    /// </summary>
    public static SinkhornProblem FromFeatures(Tensor features, Tensor weights, Tensor? bias = null, Backend? backend = null)
    {
        Guard.Float32(features, nameof(features), 2);
        Guard.NotNull(weights, nameof(weights));
        if (weights.Rank is not (2 or 3))
        {
            throw new GslArgumentException(nameof(weights), $"must be D×K or H×D×K, got shape {weights.ShapeText}");
        }

        Guard.Float32(weights, nameof(weights), weights.Rank);
        Guard.MinColumns(weights, nameof(weights), 2);
        long d = features.Columns;
        if (weights.Shape[^2] != d)
        {
            throw new GslArgumentException(nameof(weights), $"has {weights.Shape[^2]} rows (D) but the features have D = {d} columns");
        }

        int heads = weights.Rank == 3 ? checked((int)weights.Shape[0]) : 1;
        long k = weights.Columns;
        if (bias is not null)
        {
            long[] expected = weights.Rank == 3 ? [heads, k] : [k];
            Guard.Float32(bias, nameof(bias), expected.Length);
            if (!bias.Shape.SequenceEqual(expected))
            {
                throw new GslArgumentException(nameof(bias), $"has shape {bias.ShapeText} but the weights need ({string.Join(", ", expected)})");
            }
        }

        foreach (var (tensor, name) in new[] { (features, nameof(features)), (weights, nameof(weights)), (bias, nameof(bias)) })
        {
            if (tensor is not null && !tensor.Backend.HostAddressable)
            {
                throw new GslArgumentException(name, $"lives on backend '{tensor.Backend.Name}'; features, weights and bias must be in host memory (the CPU backend)");
            }
        }

        return new SinkhornProblem(backend ?? features.Backend, SinkhornSourceKind.Features, heads, features.Rows, k, DType.Float32, d)
        {
            Features = features,
            Weights = weights,
            Bias = bias,
        };
    }
}
