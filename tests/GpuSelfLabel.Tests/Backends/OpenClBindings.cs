using GpuSelfLabel.Tests.Cli;
using GpuSelfLabel.Tests.Families;

namespace GpuSelfLabel.Tests.Backends;

// Every family's test bodies, bound to the OpenCL backend (PoCL's CPU device where there is no GPU).
// One subclass per family; CI sets GSL_REQUIRE_BACKENDS=opencl so that a missing device fails.

public sealed class OpenClSoftmaxTests : SoftmaxTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendSoftmaxTests : CrossBackendSoftmaxTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendValidationTests : CrossBackendValidationTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClOpTests : BackendOpTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossEntropyTests : CrossEntropyTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCollisionCrossEntropyTests : CollisionCrossEntropyTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClReductionTests : ReductionTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClPseudoLabelTests : PseudoLabelTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClSinkhornTests : SinkhornTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClSelfClassifierTests : SelfClassifierTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClAverageKTests : AverageKTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendAverageKTests : CrossBackendAverageKTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendPseudoLabelTests : CrossBackendPseudoLabelTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendSinkhornTests : CrossBackendSinkhornTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendCrossEntropyTests : CrossBackendCrossEntropyTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCrossBackendSelfClassifierTests : CrossBackendSelfClassifierTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClLargeSinkhornTests : LargeSinkhornTestsBase
{
    protected override string BackendName => "opencl";
}

public sealed class OpenClCheckCommandTests : CheckCommandTestsBase
{
    protected override string BackendName => "opencl";
}
