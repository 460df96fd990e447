using GpuSelfLabel.Tests.Cli;
using GpuSelfLabel.Tests.Families;

namespace GpuSelfLabel.Tests.Backends;

// Every family's test bodies, bound to the CUDA backend. Without a driver they skip with the reason
// ("no driver: libcuda.so.1 not found"); GSL_REQUIRE_BACKENDS=cuda turns the skips into failures.

public sealed class CudaSoftmaxTests : SoftmaxTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendSoftmaxTests : CrossBackendSoftmaxTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendValidationTests : CrossBackendValidationTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaOpTests : BackendOpTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossEntropyTests : CrossEntropyTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCollisionCrossEntropyTests : CollisionCrossEntropyTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaReductionTests : ReductionTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaPseudoLabelTests : PseudoLabelTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaSinkhornTests : SinkhornTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaSelfClassifierTests : SelfClassifierTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaAverageKTests : AverageKTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendAverageKTests : CrossBackendAverageKTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendPseudoLabelTests : CrossBackendPseudoLabelTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendSinkhornTests : CrossBackendSinkhornTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendCrossEntropyTests : CrossBackendCrossEntropyTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCrossBackendSelfClassifierTests : CrossBackendSelfClassifierTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaLargeSinkhornTests : LargeSinkhornTestsBase
{
    protected override string BackendName => "cuda";
}

public sealed class CudaCheckCommandTests : CheckCommandTestsBase
{
    protected override string BackendName => "cuda";
}
