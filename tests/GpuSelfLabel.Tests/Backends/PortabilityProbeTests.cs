using System.Text;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Backends.Cuda;
using GpuSelfLabel.Backends.Gpu;
using GpuSelfLabel.Backends.OpenCl;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// One probe kernel that uses every macro of gsl_portable.h and every helper of reductions.h, so a
/// macro no kernel uses yet is still known to compile with NVRTC and as OpenCL C.
/// </summary>
public sealed class PortabilityProbeTests
{
    private const string Probe = """
        #include "common/gsl_portable.h"
        #include "common/reductions.h"

        KERNEL void probe(const GLOBAL float* RESTRICT x, CONSTANT float* RESTRICT c, GLOBAL float* RESTRICT y,
                          GLOBAL int* RESTRICT counters, GSL_INDEX n)
        {
            LOCAL float scratch[GSL_MAX_LOCAL_SIZE];
            LOCAL float scratch2[GSL_MAX_LOCAL_SIZE];
            GSL_INDEX i = GLOBAL_ID();
            float v = i < n ? x[i] * c[0] : 0.0f;
            float s = gsl_block_sum(scratch, v);
            float m = gsl_block_max(scratch, v);
            gsl_softmax_pair p = gsl_softmax_pair_add(gsl_softmax_pair_empty(), v, 1.0f);
            p = gsl_softmax_pair_merge(p, gsl_softmax_pair_empty(), 1.0f);
            p = gsl_softmax_pair_block(scratch, scratch2, p, 1.0f);
            if (i < n)
            {
                y[i] = EXP(v) + LOG(FABS(v) + 1.0f) + LOG1P(FABS(v)) + SQRT(FABS(v)) + FMAX(v, s) + FMIN(v, m)
                     + FMA(v, v, p.sum) + UINT_AS_FLOAT(FLOAT_AS_UINT(v)) + (IS_FINITE(v) ? 0.0f : GSL_INFINITY)
                     + (v < GSL_NEG_INFINITY ? 1.0f : 0.0f) + (v > INFINITY ? 1.0f : 0.0f)
                     + (float)(GROUP_ID() + NUM_GROUPS() + LOCAL_ID() + LOCAL_SIZE() + GLOBAL_SIZE());
            }
            if (LOCAL_ID() == 0)
            {
                ATOMIC_ADD_INT(counters, 1);
                ATOMIC_MIN_INT(counters + 1, (int)GROUP_ID());
                ATOMIC_MAX_INT(counters + 2, (int)GROUP_ID());
            }
            BARRIER();
        }
        """;

    [SkippableFact]
    public void Every_macro_compiles_with_nvrtc()
    {
        BackendTestBase.RequireOrSkip("nvrtc", NvrtcCompiler.TryLoad(out var reason), reason);
        var ptx = NvrtcCompiler.Compile(KernelSources.Preprocess("probe.cu", Probe), "probe.cu", NvrtcCompiler.Options(90));
        Assert.Contains(".entry probe(", Encoding.UTF8.GetString(ptx), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Every_macro_compiles_as_opencl_c()
    {
        bool available = BackendRegistryProbe("opencl", out var reason);
        BackendTestBase.RequireOrSkip("opencl", available, reason);
        var backend = (OpenClBackend)BackendRegistry.Open("opencl");
        backend.Programs.Compile("probe.cu", KernelSources.Preprocess("probe.cu", Probe)).Dispose();
    }

    private static bool BackendRegistryProbe(string name, out string reason)
    {
        var status = BackendRegistry.Probe().Single(s => s.Name == name);
        reason = status.Detail;
        return status.Available;
    }
}
