using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Validation;

/// <summary>
/// The argument rules of ops.md, checked once in each public method before any backend is called.
/// Every failure is a <see cref="GslArgumentException"/> naming the argument and, for data, the row.
/// </summary>
internal static class Guard
{
    /// <summary>A float32 tensor of exactly <paramref name="rank"/> dimensions, none of them empty.</summary>
    public static void Float32(Tensor tensor, string argument, int rank)
    {
        NotNull(tensor, argument);
        if (tensor.DType != DType.Float32)
        {
            throw new GslArgumentException(argument, $"must be float32, got {tensor.DType}");
        }

        if (tensor.Rank != rank)
        {
            throw new GslArgumentException(argument, $"must have {rank} dimensions, got shape {tensor.ShapeText}");
        }

        for (int d = 0; d < rank; d++)
        {
            if (tensor.Shape[d] < 1)
            {
                throw new GslArgumentException(argument, $"dimension {d} is {tensor.Shape[d]} in shape {tensor.ShapeText}; every dimension must be ≥ 1 (N ≥ 1)");
            }
        }
    }

    /// <summary>
    /// A score matrix of exactly <paramref name="rank"/> dimensions, none of them empty, stored as float32,
    /// float16 or bfloat16 (the storage types of the large-N Sinkhorn solver).
    /// </summary>
    public static void Scores(Tensor tensor, string argument, int rank)
    {
        NotNull(tensor, argument);
        if (tensor.DType is not (DType.Float32 or DType.Float16 or DType.BFloat16))
        {
            throw new GslArgumentException(argument, $"must be float32, float16 or bfloat16, got {tensor.DType}");
        }

        if (tensor.Rank != rank)
        {
            throw new GslArgumentException(argument, $"must have {rank} dimensions, got shape {tensor.ShapeText}");
        }

        for (int d = 0; d < rank; d++)
        {
            if (tensor.Shape[d] < 1)
            {
                throw new GslArgumentException(argument, $"dimension {d} is {tensor.Shape[d]} in shape {tensor.ShapeText}; every dimension must be ≥ 1 (N ≥ 1)");
            }
        }
    }

    /// <summary>An N×K float32 matrix with N ≥ 1 and K ≥ <paramref name="minColumns"/>.</summary>
    public static void Matrix(Tensor tensor, string argument, long minColumns = 2)
    {
        Float32(tensor, argument, 2);
        MinColumns(tensor, argument, minColumns);
    }

    /// <summary>The class axis is long enough (K ≥ 2 for every distribution over classes).</summary>
    public static void MinColumns(Tensor tensor, string argument, long minColumns)
    {
        if (tensor.Columns < minColumns)
        {
            throw new GslArgumentException(argument, $"has K = {tensor.Columns} columns in shape {tensor.ShapeText}; K must be ≥ {minColumns}");
        }
    }

    public static void NotNull(object? value, string argument)
    {
        if (value is null)
        {
            throw new GslArgumentException(argument, "is required");
        }
    }

    /// <summary>Two tensors of the same shape on the same backend.</summary>
    public static void SameShape(Tensor first, string firstName, Tensor second, string secondName)
    {
        if (!ReferenceEquals(first.Backend, second.Backend))
        {
            throw new GslArgumentException(secondName, $"lives on backend '{second.Backend.Name}' but '{firstName}' on '{first.Backend.Name}'");
        }

        if (!first.Shape.SequenceEqual(second.Shape))
        {
            throw new GslArgumentException(secondName, $"has shape {second.ShapeText} but '{firstName}' has {first.ShapeText}; they must agree");
        }
    }

    /// <summary>
    /// A destination the caller hands in for an output (the <c>…Into</c> methods): on the backend of
    /// <paramref name="like"/> (the input it is computed from), float32, of exactly
    /// <paramref name="shape"/>, and sharing no byte with any tensor of <paramref name="distinctFrom"/>
    /// (the inputs, and the outputs already checked): an in-place call is refused. Views of one buffer
    /// overlap when their byte ranges do; on backends whose handles are addresses, so do two wraps of
    /// overlapping foreign memory. Called before anything is written, so a refused destination keeps
    /// its contents.
    /// </summary>
    public static void Output(Tensor output, string argument, Tensor like, IReadOnlyList<long> shape, params ReadOnlySpan<(Tensor Tensor, string Name)> distinctFrom)
    {
        NotNull(output, argument);
        if (!ReferenceEquals(output.Backend, like.Backend))
        {
            throw new GslArgumentException(argument, $"lives on backend '{output.Backend.Name}' but the inputs on '{like.Backend.Name}'; the destination must be on the inputs' backend");
        }

        if (output.DType != DType.Float32)
        {
            throw new GslArgumentException(argument, $"must be float32, got {output.DType}");
        }

        if (!output.Shape.SequenceEqual(shape))
        {
            throw new GslArgumentException(argument, $"has shape {output.ShapeText} but must have ({string.Join(", ", shape)})");
        }

        foreach (var (other, name) in distinctFrom)
        {
            Separate(output, argument, other, name);
        }
    }

    // The row checks scan on the device. A public call that checks several tensors, or also sums, allocates
    // one scan scratch (Backend.AllocateScanScratch, at least Backend.ScanScratchElements(rows) elements)
    // and passes it to each; without one a check allocates its own, once, never per scan.

    /// <summary>Every value finite (no NaN, no ±∞).</summary>
    public static void Finite(Tensor tensor, string argument, Tensor? scratch = null) => Rows(tensor, argument, RowCheck.Finite, scratch);

    /// <summary>Every row a probability vector: entries ≥ 0 and finite, sum within 1e-3 of 1.</summary>
    public static void Distributions(Tensor tensor, string argument, Tensor? scratch = null) => Rows(tensor, argument, RowCheck.Distribution, scratch);

    /// <summary>Every row a strictly positive probability vector.</summary>
    public static void PositiveDistributions(Tensor tensor, string argument, Tensor? scratch = null) => Rows(tensor, argument, RowCheck.PositiveDistribution, scratch);

    /// <summary>
    /// The first row of <paramref name="tensor"/> that breaks <paramref name="check"/>, or −1, scanning with
    /// <paramref name="scratch"/> or, when it is null (or on another backend), with a scan scratch
    /// allocated for this check alone.
    /// </summary>
    public static long FindInvalidRow(Tensor tensor, RowCheck check, Tensor? scratch, out string problem)
    {
        if (scratch is not null && ReferenceEquals(scratch.Backend, tensor.Backend))
        {
            return tensor.Backend.Kernels.FindInvalidRow(tensor, check, scratch, out problem);
        }

        using var own = tensor.Backend.AllocateScanScratch(tensor.Rows);
        return tensor.Backend.Kernels.FindInvalidRow(tensor, check, own, out problem);
    }

    /// <summary>A finite scalar parameter strictly above zero (τ, ε, λ of Sinkhorn …).</summary>
    public static void Positive(double value, string argument)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new GslArgumentException(argument, $"must be a finite number > 0, got {value}");
        }
    }

    /// <summary>A finite scalar parameter at or above zero (λ of the EM objective, μ …).</summary>
    public static void NonNegative(double value, string argument)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new GslArgumentException(argument, $"must be a finite number ≥ 0, got {value}");
        }
    }

    /// <summary>
    /// A finite scalar parameter in [<paramref name="minimum"/>, <paramref name="maximum"/>]: the valid range
    /// an option record documents, beyond which the float32 computation would overflow to ∞ or NaN.
    /// </summary>
    public static void InRange(double value, double minimum, double maximum, string argument)
    {
        if (!double.IsFinite(value) || value < minimum || value > maximum)
        {
            throw new GslArgumentException(argument, $"must be a finite number in [{minimum:G3}, {maximum:G3}], got {value:G3}");
        }
    }

    /// <summary>An integer parameter at or above <paramref name="minimum"/>.</summary>
    public static void AtLeast(long value, long minimum, string argument)
    {
        if (value < minimum)
        {
            throw new GslArgumentException(argument, $"must be ≥ {minimum}, got {value}");
        }
    }

    /// <summary>Refuses a destination that shares a byte with a source (views of one block, a buffer and its sub-buffer).</summary>
    internal static void Separate(Tensor destination, string argument, Tensor source, string sourceName)
    {
        if (Overlap(destination, source))
        {
            throw new GslArgumentException(argument, $"shares memory with '{sourceName}'; in-place calls are not supported, so the destination must be separate memory");
        }
    }

    /// <summary>Whether two tensors of one backend share a byte.</summary>
    private static bool Overlap(Tensor first, Tensor second)
    {
        nint firstHandle = first.Buffer.Handle;
        nint secondHandle = second.Buffer.Handle;
        var (firstRoot, firstOrigin) = first.Buffer.Origin;
        var (secondRoot, secondOrigin) = second.Buffer.Origin;
        long firstStart;
        long secondStart;
        if (firstRoot == secondRoot)
        {
            firstStart = firstOrigin + first.ByteOffset;
            secondStart = secondOrigin + second.ByteOffset;
        }
        else if (first.Buffer.HandleIsAddress && second.Buffer.HandleIsAddress)
        {
            firstStart = firstHandle + first.ByteOffset;
            secondStart = secondHandle + second.ByteOffset;
        }
        else
        {
            return false;
        }

        return firstStart < secondStart + second.SizeInBytes && secondStart < firstStart + first.SizeInBytes;
    }

    private static void Rows(Tensor tensor, string argument, RowCheck check, Tensor? scratch)
    {
        long row = FindInvalidRow(tensor, check, scratch, out var problem);
        if (row >= 0)
        {
            throw new GslArgumentException(argument, problem, row);
        }
    }
}
