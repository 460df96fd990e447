using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Backends;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Families;

/// <summary>
/// The bandwidth reference of <c>gsl bench</c> (IBackendKernels.Copy, kernels/copy.cu on GPU
/// backends): every element arrives bit for bit, NaN payloads, infinities, −0 and subnormals
/// included, at lengths off every vector width, group size and parallel split, and on GPU backends
/// with forced small grids so the unrolled grid-stride loop and its tail both run.
/// </summary>
public abstract class CopyTestsBase : BackendTestBase
{
    public static TheoryData<long> Lengths() => new() { 1, 3, 255, 256, 257, 1000, 4099, (1 << 18) + 5, (1 << 20) + 3 };

    [SkippableTheory]
    [MemberData(nameof(Lengths))]
    public void Copy_is_bit_exact(long length)
    {
        var values = Values(length);
        using var source = Upload(values, length);
        using var destination = Backend.Allocate(DType.Float32, length);
        Backend.Kernels.Copy(source, destination);
        AssertBits(values, destination.ToArray());
    }

    [SkippableFact]
    public void Copy_takes_any_shape_with_the_same_element_count()
    {
        var values = Values(33 * 257);
        using var source = Upload(values, 33, 257);
        using var destination = Backend.Allocate(DType.Float32, 33 * 257);
        Backend.Kernels.Copy(source, destination);
        AssertBits(values, destination.ToArray());
    }

    [SkippableTheory]
    [InlineData(1, 1)]
    [InlineData(4, 3)]
    [InlineData(32, 2)]
    public void Forced_small_grids_copy_every_element(int groupSize, long maxGroups)
    {
        Skip.If(BackendName == "cpu", "launch shapes apply to GPU backends");
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(groupSize, maxGroups));
        long stride = groupSize * maxGroups;
        foreach (long length in new[] { 1, stride - 1, stride, (4 * stride) - 1, 4 * stride, (4 * stride) + 1, (9 * stride) + 2, 1000 })
        {
            if (length < 1)
            {
                continue;
            }

            var values = Values(length);
            using var source = backend.FromArray(values, length);
            using var destination = backend.Allocate(DType.Float32, length);
            backend.Kernels.Copy(source, destination);
            AssertBits(values, destination.ToArray());
        }
    }

    /// <summary>Seeded values with the special ones spread through them.</summary>
    private static float[] Values(long length)
    {
        var values = TestData.Logits(1, checked((int)length), seed: (int)(length % 100_003));
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, -1e-40f, BitConverter.Int32BitsToSingle(0x7fc12345)];
        for (int i = 0; i < specials.Length && i * 37 < length; i++)
        {
            values[i * 37] = specials[i];
        }

        return values;
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"element {i}: expected bits {BitConverter.SingleToInt32Bits(expected[i]):x8}, got {BitConverter.SingleToInt32Bits(actual[i]):x8}");
            }
        }
    }
}

public sealed class CpuCopyTests : CopyTestsBase
{
    protected override string BackendName => "cpu";
}

// The GPU bindings live here rather than in OpenClBindings.cs / CudaBindings.cs: the copy kernel is
// the benchmark's reference, not an operation family.
public sealed class OpenClCopyTests : CopyTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class CudaCopyTests : CopyTestsBase
{
    protected override string BackendName => "cuda";
}
