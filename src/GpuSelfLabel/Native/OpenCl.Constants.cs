namespace GpuSelfLabel.Native;

internal static partial class OpenCl
{
    public const int Success = 0;
    public const int DeviceNotFound = -1;
    public const int BuildProgramFailure = -11;
    public const int PlatformNotFoundKhr = -1001;

    public const ulong DeviceTypeCpu = 1 << 1;
    public const ulong DeviceTypeGpu = 1 << 2;
    public const ulong DeviceTypeAll = 0xFFFFFFFF;

    public const uint PlatformName = 0x0902;
    public const uint PlatformVersion = 0x0901;

    public const uint DeviceType = 0x1000;
    public const uint DeviceMaxWorkGroupSize = 0x1004;
    public const uint DeviceMaxMemAllocSize = 0x1010;
    public const uint DeviceMemBaseAddrAlign = 0x1019;
    public const uint DeviceGlobalMemSize = 0x101F;
    public const uint DeviceLocalMemSize = 0x1023;
    public const uint DeviceName = 0x102B;
    public const uint DeviceVersion = 0x102F;

    public const ulong MemReadWrite = 1 << 0;
    public const uint MemSize = 0x1102;
    public const uint MemContext = 0x1106;
    public const uint MemAssociatedMemObject = 0x1107;
    public const uint MemOffset = 0x1108;
    public const uint BufferCreateTypeRegion = 0x1220;

    public const uint ProgramBuildLog = 0x1183;
    public const uint KernelWorkGroupSize = 0x11B0;
}
