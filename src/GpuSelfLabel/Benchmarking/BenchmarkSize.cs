using System.Globalization;

namespace GpuSelfLabel.Benchmarking;

/// <summary>One problem size of a benchmark: N rows (samples) by K columns (classes).</summary>
/// <param name="Rows">N ≥ 1.</param>
/// <param name="Columns">K ≥ 2.</param>
public readonly record struct BenchmarkSize(long Rows, long Columns)
{
    /// <summary>The sizes run when none are named: a batch that fits in caches, and the GPU target size 65536×3000.</summary>
    public static IReadOnlyList<BenchmarkSize> Defaults { get; } = [new(16384, 1000), new(65536, 3000)];

    /// <summary>Matrix elements N·K.</summary>
    public long Elements => Rows * Columns;

    /// <summary>Parses "65536x1000,16384x3000" (x, X or ×); N ≥ 1, K ≥ 2, N·K below 2^40.</summary>
    /// <exception cref="GslArgumentException">Argument "sizes": a part is not N×K or is out of range.</exception>
    public static IReadOnlyList<BenchmarkSize> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sizes = new List<BenchmarkSize>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var dims = part.Split(['x', 'X', '×'], StringSplitOptions.TrimEntries);
            if (dims.Length != 2
                || !long.TryParse(dims[0], NumberStyles.None, CultureInfo.InvariantCulture, out long rows)
                || !long.TryParse(dims[1], NumberStyles.None, CultureInfo.InvariantCulture, out long columns))
            {
                throw new GslArgumentException("sizes", $"'{part}' is not a size; give N×K pairs such as 65536x1000,16384x3000");
            }

            if (rows < 1 || columns < 2 || rows > (1L << 40) / columns)
            {
                throw new GslArgumentException("sizes", $"'{part}' needs N ≥ 1, K ≥ 2 and N·K < 2^40");
            }

            sizes.Add(new BenchmarkSize(rows, columns));
        }

        return sizes;
    }

    /// <summary>"NxK".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Rows}x{Columns}");
}
