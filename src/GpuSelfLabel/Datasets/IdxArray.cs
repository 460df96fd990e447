namespace GpuSelfLabel.Datasets;

/// <summary>An array read from an IDX file: its dimensions and its values widened to float32.</summary>
/// <param name="Shape">Dimensions, outermost first (N, rows, columns for images; N for labels).</param>
/// <param name="Values">Row-major values; unsigned bytes keep their 0–255 value.</param>
/// <param name="ElementType">The IDX type code: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.</param>
public sealed record IdxArray(int[] Shape, float[] Values, byte ElementType)
{
    /// <summary>The outermost dimension (number of samples).</summary>
    public int Count => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Elements per sample: the product of every dimension but the first.</summary>
    public int SampleSize => Shape.Length <= 1 ? 1 : Values.Length / Math.Max(1, Shape[0]);
}
