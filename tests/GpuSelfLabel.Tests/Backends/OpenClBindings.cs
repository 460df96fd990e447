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
