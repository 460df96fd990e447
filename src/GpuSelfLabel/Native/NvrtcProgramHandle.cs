using System.Runtime.InteropServices;

namespace GpuSelfLabel.Native;

/// <summary>An nvrtcProgram, destroyed with nvrtcDestroyProgram.</summary>
internal sealed class NvrtcProgramHandle : SafeHandle
{
    public NvrtcProgramHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public static unsafe NvrtcProgramHandle Create(byte[] sourceUtf8, byte[] nameUtf8)
    {
        var result = new NvrtcProgramHandle();
        nint program;
        int status;
        fixed (byte* source = sourceUtf8)
        fixed (byte* name = nameUtf8)
        {
            status = Nvrtc.nvrtcCreateProgram(&program, source, name, 0, null, null);
        }

        if (status != Nvrtc.Success)
        {
            result.SetHandleAsInvalid();
            throw Nvrtc.Failure(status, "nvrtcCreateProgram");
        }

        result.SetHandle(program);
        return result;
    }

    protected override unsafe bool ReleaseHandle()
    {
        nint program = handle;
        return Nvrtc.nvrtcDestroyProgram(&program) == Nvrtc.Success;
    }
}
