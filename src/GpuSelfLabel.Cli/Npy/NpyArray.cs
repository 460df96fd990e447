namespace GpuSelfLabel.Cli.Npy;

/// <summary>
/// An array read from or written to a .npy file: a shape and either float32 values (reals, float64
/// converted on read) or int64 values (class indices, int32 widened on read).
/// </summary>
internal sealed class NpyArray
{
    private NpyArray(long[] shape, float[]? floats, long[]? integers)
    {
        Shape = shape;
        Floats = floats;
        Integers = integers;
    }

    public long[] Shape { get; }

    public float[]? Floats { get; }

    public long[]? Integers { get; }

    public bool IsInteger => Integers is not null;

    public long Length => Floats?.LongLength ?? Integers!.LongLength;

    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Length == 1 ? ",)" : ")");

    public static NpyArray OfFloats(float[] values, params long[] shape) => new(shape, values, null);

    public static NpyArray OfIntegers(long[] values, params long[] shape) => new(shape, null, values);

    public static NpyArray Scalar(double value) => new([], [(float)value], null);

    public static NpyArray ScalarInteger(long value) => new([], null, [value]);
}
