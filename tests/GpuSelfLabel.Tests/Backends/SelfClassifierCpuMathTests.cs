using System.Numerics;
using System.Runtime.Intrinsics;
using GpuSelfLabel.Backends.Cpu;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// The float64 SIMD exp and log of the CPU Self-Classifier passes against Math.Exp and Math.Log over
/// every argument range the passes produce, and the 512-bit instantiation of the one generic code lane
/// for lane against the Vector&lt;T&gt; one (the row tails use the latter, so a value must not depend
/// on its position).
/// </summary>
public sealed class SelfClassifierCpuMathTests
{
    [Fact]
    public void Exp_is_within_1e_13_relative_and_zero_below_the_float64_range()
    {
        var random = new Random(5);
        var arguments = Enumerable.Range(0, 20000).Select(_ => -760 + (random.NextDouble() * 770))
            .Concat([0.0, -1e-300, 1e-12, -708.0, -708.4, -709, -745, -3200, 709, 710]).ToArray();
        foreach (double x in arguments)
        {
            double got = DoubleExp.Exp(x);
            double expected = Math.Exp(Math.Min(x, 709));
            if (x < -708.4)
            {
                Assert.True(got == 0 || Math.Abs(got - expected) <= 1e-13 * expected, $"exp({x:R}) = {got:R}");
            }
            else
            {
                Assert.True(Math.Abs(got - expected) <= 1e-13 * expected, $"exp({x:R}) = {got:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void Log_is_within_1e_14_absolute_over_the_prediction_range()
    {
        var random = new Random(6);
        var arguments = Enumerable.Range(0, 20000).Select(_ => Math.Exp(-28 + (random.NextDouble() * 45)))
            .Concat([1e-12, 1.0, Math.Sqrt(0.5), Math.BitDecrement(Math.Sqrt(0.5)), Math.Sqrt(2), 2.0, 65536.0 / 3]).ToArray();
        foreach (double x in arguments)
        {
            double got = DoubleLog.Log(x);
            double expected = Math.Log(x);
            Assert.True(Math.Abs(got - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"ln({x:R}) = {got:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Both_widths_give_the_same_lanes()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return;
        }

        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var x = Vector512.Create(Enumerable.Range(0, Vector512<double>.Count).Select(_ => -750 + (random.NextDouble() * 760)).ToArray());
            var p = Vector512.Create(Enumerable.Range(0, Vector512<double>.Count).Select(_ => Math.Exp(-28 + (random.NextDouble() * 45))).ToArray());
            var e = DoubleExp.Exp<Vector512Lanes, Vector512<double>>(x);
            var l = DoubleLog.Log<Vector512Lanes, Vector512<double>>(p);
            for (int j = 0; j < Vector512<double>.Count; j++)
            {
                Assert.Equal(DoubleExp.Exp<VectorLanes, Vector<double>>(new Vector<double>(x[j]))[0], e[j]);
                Assert.Equal(DoubleLog.Log<VectorLanes, Vector<double>>(new Vector<double>(p[j]))[0], l[j]);
            }
        }
    }
}
