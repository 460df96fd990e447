using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Families;

/// <summary>The backend-neutral reductions facades build on, bound to each backend below.</summary>
public abstract class ReductionTestsBase : BackendTestBase
{
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16384)]
    [InlineData(16385)]
    [InlineData(100003)]
    public void Sum_accumulates_in_float64_and_repeats_exactly(int length)
    {
        var values = TestData.Logits(1, length, seed: length, scale: 1000.0);
        using var vector = Upload(values, length);
        double expected = values.Sum(v => (double)v);
        double first = DeviceScan.Sum(vector);
        Approx.Scalar(expected, first, "sum", relative: 1e-10);
        Assert.Equal(first, DeviceScan.Sum(vector));
    }

    [SkippableFact]
    public void Sum_covers_every_element_of_a_matrix()
    {
        using var matrix = Upload([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(21.0, DeviceScan.Sum(matrix));
    }
}

public sealed class CpuReductionTests : ReductionTestsBase
{
    protected override string BackendName => "cpu";
}
