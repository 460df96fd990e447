using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// FindInvalidRow on a GPU backend (kernels/validation.cu plus the host re-check) must report the
/// same row and the same words as the CPU backend, for every rule, wherever the bad row lies
/// (first row, past the scan's groups, last row), and for row sums on either side of 1e-3 — including
/// enough near-misses to exhaust the false-alarm budget and take the host path. Bound per GPU backend.
/// </summary>
public abstract class CrossBackendValidationTestsBase : BackendTestBase
{
    private const int Finite = 0;
    private const int Distribution = 1;
    private const int Positive = 2;

    [SkippableTheory]
    [InlineData(3000, 10)]
    [InlineData(5, 3000)]
    [InlineData(2, 2)]
    public void Clean_data_passes_every_check(int n, int k)
    {
        var y = TestData.Distributions(n, k, seed: n + k);
        foreach (var check in new[] { Finite, Distribution, Positive })
        {
            Same(y, n, k, check);
        }
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1500)]
    [InlineData(2999)]
    public void A_non_finite_value_is_found_in_any_row(int row)
    {
        const int N = 3000;
        const int K = 10;
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var y = TestData.Distributions(N, K, seed: row);
            y[(row * K) + 7] = bad;
            y[(2999 * K) + 1] = float.NaN;
            foreach (var check in new[] { Finite, Distribution, Positive })
            {
                Assert.Equal(row, Same(y, N, K, check));
            }
        }
    }

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(300)]
    [InlineData(3000)]
    public void Negative_and_zero_entries_follow_each_rule(int k)
    {
        const int N = 40;
        var y = TestData.Distributions(N, k, seed: k);
        // Move the replaced mass to column 0 so that only the sign rule can fail.
        y[31 * k] += y[(31 * k) + (k - 1)];
        y[(31 * k) + (k - 1)] = -1e-30f;
        y[12 * k] += y[(12 * k) + 1];
        y[(12 * k) + 1] = 0f;
        Assert.Equal(-1, Same(y, N, k, Finite));
        Assert.Equal(31, Same(y, N, k, Distribution));
        Assert.Equal(12, Same(y, N, k, Positive));
    }

    [SkippableTheory]
    [InlineData(10)]
    [InlineData(3000)]
    public void Row_sums_are_judged_like_the_cpu_on_both_sides_of_the_tolerance(int k)
    {
        const int N = 64;
        var y = TestData.Distributions(N, k, seed: 3);
        SetRowSum(y, k, 5, 1 + 0.9995e-3);
        SetRowSum(y, k, 6, 1 - 0.9995e-3);
        SetRowSum(y, k, 40, 1 + 1.0005e-3);
        Assert.Equal(40, Same(y, N, k, Distribution));
        SetRowSum(y, k, 40, 1 - 1.0005e-3);
        Assert.Equal(40, Same(y, N, k, Positive));
    }

    [SkippableFact]
    public void Many_near_misses_fall_back_to_the_host_and_still_find_the_row()
    {
        const int N = 200;
        const int K = 10;
        var y = TestData.Distributions(N, K, seed: 8);
        for (int i = 0; i < 40; i++)
        {
            SetRowSum(y, K, i, 1 + 0.9999e-3);
        }

        SetRowSum(y, K, 150, 1.5);
        Assert.Equal(150, Same(y, N, K, Distribution));
    }

    [SkippableFact]
    public void Fewer_groups_than_rows_still_find_the_first_bad_row()
    {
        _ = Backend;
        using var backend = GpuBackends.Open(BackendName, new LaunchOverrides(GroupSize: 4, MaxGroups: 3));
        const int N = 50;
        const int K = 7;
        var y = TestData.Distributions(N, K, seed: 2);
        y[(44 * K) + 6] = float.NaN;
        y[(23 * K) + 2] = -0.5f;
        using var gpu = backend.FromArray(y, N, K);
        using var cpu = Backend.Cpu.FromArray(y, N, K);
        foreach (var check in new[] { RowCheck.Finite, RowCheck.Distribution })
        {
            long expected = DeviceScan.FindInvalidRow(cpu, check, out var cpuProblem);
            Assert.Equal(expected, DeviceScan.FindInvalidRow(gpu, check, out var problem));
            Assert.Equal(cpuProblem, problem);
        }
    }

    [SkippableFact]
    public void The_public_api_names_argument_and_row_from_the_gpu_check()
    {
        var z = TestData.Logits(2000, 12, seed: 1);
        z[(1717 * 12) + 11] = float.PositiveInfinity;
        using var logits = Upload(z, 2000, 12);
        var e = Assert.Throws<GslArgumentException>(() => Softmax.Forward(logits));
        Assert.Equal("logits", e.Argument);
        Assert.Equal(1717, e.Row);
        Assert.Contains("column 11", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs check <paramref name="check"/> on both backends, asserts they agree, returns the row.</summary>
    private long Same(float[] data, int n, int k, int check)
    {
        var rule = (RowCheck)check;
        using var gpu = Upload(data, n, k);
        using var cpu = Backend.Cpu.FromArray(data, n, k);
        long expected = DeviceScan.FindInvalidRow(cpu, rule, out var cpuProblem);
        long actual = DeviceScan.FindInvalidRow(gpu, rule, out var problem);
        Assert.Equal(expected, actual);
        Assert.Equal(cpuProblem, problem);
        return actual;
    }

    /// <summary>Rescales row <paramref name="row"/> so that its float64 sum is <paramref name="target"/> (within 1e-9).</summary>
    private static void SetRowSum(float[] y, int k, int row, double target)
    {
        var span = y.AsSpan(row * k, k);
        double sum = 0;
        foreach (var v in span)
        {
            sum += v;
        }

        for (int j = 0; j < k; j++)
        {
            span[j] = (float)(span[j] * target / sum);
        }

        double rest = 0;
        for (int j = 0; j < k - 1; j++)
        {
            rest += span[j];
        }

        span[k - 1] = (float)(target - rest);
    }
}
