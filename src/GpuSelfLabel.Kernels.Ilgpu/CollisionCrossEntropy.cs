using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSelfLabel.Kernels.Ilgpu;

/// <summary>
/// ops.md section 2 (collision cross-entropy) and section 3 (Shannon cross-entropy with soft targets),
/// forward and backward fused: the kernels of kernels/collision_ce.cu in C#, with the same parameters
/// in the same order (launched by GpuKernels.CrossEntropy.cs: one group per row, grid-stride beyond).
/// <list type="bullet">
/// <item><c>collision_ce_rows(z, y, losses, dlogits, dtargets, rows, cols, inverse_rows)</c> reads z and
/// y for the row state m = max z, S = Σ e, D = Σ e y (e = exp(z − m), float64), reads the row again and
/// writes losses[i] = ln S − ln D, dlogits = e (1/S − y/D)/N and dtargets = max(−e/(N D), −FLT_MAX); a
/// row with D &lt; 1e-200 takes a third read for ln D in the log domain and writes every output from
/// logarithms, as the CUDA C kernel does.</item>
/// <item><c>cross_entropy_rows(z, y, losses, dlogits, rows, cols, inverse_rows)</c> reads z and y for
/// m, S, Σ y z and Σ y, reads the row again and writes losses[i] = (Σ y) ln S − (Σ y z − m Σ y) and
/// dlogits = (e/S − y)/N.</item>
/// </list>
/// </summary>
public static class CollisionCrossEntropy
{
    private const double FloatMax = 3.4028234663852886e38;
    private const double LinearFloor = 1e-200;

    /// <summary>collision_ce_rows of kernels/collision_ce.cu.</summary>
    public static void CollisionRows(ArrayView<float> z, ArrayView<float> y, ArrayView<float> losses, ArrayView<float> dlogits, ArrayView<float> dtargets, long rows, long cols, double inverseRows)
    {
        var scratch = new Scratch(
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize));
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            var p = State.Empty;
            for (long k = t; k < cols; k += step)
            {
                p = p.Add(z[start + k], y[start + k], 0.0, true);
            }

            p = scratch.Reduce(p, true);
            double m = p.Max;
            bool linear = p.Dot >= LinearFloor;
            var q = State.Empty;
            if (!linear)
            {
                for (long k = t; k < cols; k += step)
                {
                    float yk = y[start + k];
                    if (yk > 0f)
                    {
                        q = q.Add((z[start + k] - m) + KernelMath.Log((double)yk), 0.0, 0.0, true);
                    }
                }
            }

            // Outside the branch, as in the CUDA C kernel: every barrier is reached by the whole group.
            q = scratch.Reduce(q, true);
            if (linear)
            {
                double collisionScale = inverseRows / p.Dot;
                double softmaxScale = inverseRows / p.Sum;
                for (long k = t; k < cols; k += step)
                {
                    double e = KernelMath.Exp(z[start + k] - m);
                    dlogits[start + k] = (float)(((y[start + k] * -collisionScale) + softmaxScale) * e);
                    dtargets[start + k] = (float)Math.Max(e * -collisionScale, -FloatMax);
                }

                if (t == 0)
                {
                    losses[row] = (float)(KernelMath.Log(p.Sum) - KernelMath.Log(p.Dot));
                }
            }
            else
            {
                double logD = q.Max + KernelMath.Log(q.Sum);
                double logS = KernelMath.Log(p.Sum);
                for (long k = t; k < cols; k += step)
                {
                    double w = z[start + k] - m;
                    float yk = y[start + k];
                    double sigma = KernelMath.Exp(w - logS);
                    double qk = yk > 0f ? KernelMath.Exp(w + KernelMath.Log((double)yk) - logD) : 0.0;
                    dlogits[start + k] = (float)((sigma - qk) * inverseRows);
                    dtargets[start + k] = (float)Math.Max(-KernelMath.Exp(w - logD) * inverseRows, -FloatMax);
                }

                if (t == 0)
                {
                    losses[row] = (float)(logS - logD);
                }
            }
        }
    }

    /// <summary>cross_entropy_rows of kernels/collision_ce.cu.</summary>
    public static void ShannonRows(ArrayView<float> z, ArrayView<float> y, ArrayView<float> losses, ArrayView<float> dlogits, long rows, long cols, double inverseRows)
    {
        var scratch = new Scratch(
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize),
            SharedMemory.Allocate<double>(GroupReduce.MaxGroupSize));
        int t = Group.IdxX;
        int step = Group.DimX;
        for (long row = Grid.IdxX; row < rows; row += Grid.DimX)
        {
            long start = row * cols;
            var p = State.Empty;
            for (long k = t; k < cols; k += step)
            {
                double zk = z[start + k];
                double yk = y[start + k];
                p = p.Add(zk, yk * zk, yk, false);
            }

            p = scratch.Reduce(p, false);
            double m = p.Max;
            double inverseSum = 1.0 / p.Sum;
            for (long k = t; k < cols; k += step)
            {
                double e = KernelMath.Exp(z[start + k] - m);
                dlogits[start + k] = (float)(((e * inverseSum) - y[start + k]) * inverseRows);
            }

            if (t == 0)
            {
                losses[row] = (float)((p.Mass * KernelMath.Log(p.Sum)) - (p.Dot - (m * p.Mass)));
            }
        }
    }

    /// <summary>
    /// A row's running state (ce_state of the CUDA C file): the shift Max, Sum = Σ exp(v − Max), Dot
    /// (rescaled with Sum when scaled, else a plain sum) and Mass, a plain sum.
    /// </summary>
    private readonly struct State
    {
        public State(double max, double sum, double dot, double mass)
        {
            Max = max;
            Sum = sum;
            Dot = dot;
            Mass = mass;
        }

        public static State Empty => new(double.NegativeInfinity, 0.0, 0.0, 0.0);

        public double Max { get; }

        public double Sum { get; }

        public double Dot { get; }

        public double Mass { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public State Add(double v, double dotTerm, double massTerm, bool scaledDot)
        {
            double e = 1.0;
            double max = Max;
            double sum = Sum;
            double dot = Dot;
            if (v > max)
            {
                double f = KernelMath.Exp(max - v);
                sum *= f;
                if (scaledDot)
                {
                    dot *= f;
                }

                max = v;
            }
            else
            {
                e = KernelMath.Exp(v - max);
            }

            return new State(max, sum + e, dot + (scaledDot ? e * dotTerm : dotTerm), Mass + massTerm);
        }

        /// <summary>The larger max keeps its factor 1 exactly; an empty b never forms (−∞) − (−∞).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static State Merge(State a, State b, bool scaledDot)
        {
            double mass = a.Mass + b.Mass;
            if (a.Max >= b.Max)
            {
                double f = b.Max == double.NegativeInfinity ? 0.0 : KernelMath.Exp(b.Max - a.Max);
                return new State(a.Max, a.Sum + (b.Sum * f), scaledDot ? a.Dot + (b.Dot * f) : a.Dot + b.Dot, mass);
            }
            else
            {
                double f = KernelMath.Exp(a.Max - b.Max);
                return new State(b.Max, (a.Sum * f) + b.Sum, scaledDot ? (a.Dot * f) + b.Dot : a.Dot + b.Dot, mass);
            }
        }
    }

    /// <summary>The four shared arrays of the group reduction of <see cref="State"/>.</summary>
    private readonly struct Scratch
    {
        private readonly ArrayView<double> max;
        private readonly ArrayView<double> sum;
        private readonly ArrayView<double> dot;
        private readonly ArrayView<double> mass;

        public Scratch(ArrayView<double> max, ArrayView<double> sum, ArrayView<double> dot, ArrayView<double> mass)
        {
            this.max = max;
            this.sum = sum;
            this.dot = dot;
            this.mass = mass;
        }

        /// <summary>The group's state from each work-item's own (a fixed tree), returned to every work-item.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public State Reduce(State p, bool scaledDot)
        {
            int t = Group.IdxX;
            Store(t, p);
            Group.Barrier();
            for (int s = Group.DimX / 2; s > 0; s >>= 1)
            {
                if (t < s)
                {
                    Store(t, State.Merge(Load(t), Load(t + s), scaledDot));
                }

                Group.Barrier();
            }

            var result = Load(0);
            Group.Barrier();
            return result;
        }

        private State Load(int i) => new(max[i], sum[i], dot[i], mass[i]);

        private void Store(int i, State p)
        {
            max[i] = p.Max;
            sum[i] = p.Sum;
            dot[i] = p.Dot;
            mass[i] = p.Mass;
        }
    }
}
