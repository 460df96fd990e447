namespace GpuSelfLabel.Native;

internal static partial class Cuda
{
    public const int Success = 0;
    public const int ErrorInvalidValue = 1;
    public const int ErrorNotInitialized = 3;
    public const int ErrorNoDevice = 100;
    public const int ErrorInsufficientDriver = 35;
    public const int ErrorSystemDriverMismatch = 803;
    public const int ErrorCompatNotSupportedOnDevice = 804;

    public const int AttributeMaxThreadsPerBlock = 1;
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;

    public const int FunctionAttributeMaxThreadsPerBlock = 0;

    public const int PointerAttributeContext = 1;
    public const int PointerAttributeMemoryType = 2;
    public const int PointerAttributeDeviceOrdinal = 9;

    public const int MemoryTypeHost = 1;
    public const int MemoryTypeDevice = 2;
    public const int MemoryTypeUnified = 4;

    public const int JitInfoLogBuffer = 3;
    public const int JitInfoLogBufferSizeBytes = 4;
    public const int JitErrorLogBuffer = 5;
    public const int JitErrorLogBufferSizeBytes = 6;
}
