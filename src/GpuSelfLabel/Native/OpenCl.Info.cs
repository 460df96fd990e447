using System.Text;

namespace GpuSelfLabel.Native;

internal static unsafe partial class OpenCl
{
    public static string PlatformString(nint platform, uint param)
    {
        nuint size;
        Check(clGetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Check(clGetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        }

        return Text(bytes);
    }

    public static string DeviceString(nint device, uint param)
    {
        nuint size;
        Check(clGetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Check(clGetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        }

        return Text(bytes);
    }

    /// <summary>A cl_ulong, cl_uint, size_t or cl_bitfield device property, widened.</summary>
    public static ulong DeviceNumber(nint device, uint param)
    {
        ulong value = 0;
        nuint size;
        Check(clGetDeviceInfo(device, param, sizeof(ulong), &value, &size), "clGetDeviceInfo");

        // Little-endian: a 4-byte property fills the low half of the zeroed 8 bytes.
        return size == 4 ? value & 0xFFFFFFFF : value;
    }

    /// <summary>The build log of <paramref name="program"/> on <paramref name="device"/> (empty if none).</summary>
    public static string BuildLog(nint program, nint device)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, device, ProgramBuildLog, 0, null, &size) != Success || size == 0)
        {
            return string.Empty;
        }

        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            if (clGetProgramBuildInfo(program, device, ProgramBuildLog, size, p, null) != Success)
            {
                return string.Empty;
            }
        }

        return Text(bytes);
    }

    /// <summary>Platforms, or an empty array when the ICD loader finds no driver.</summary>
    public static nint[] Platforms()
    {
        uint count;
        int status = clGetPlatformIDs(0, null, &count);
        if (status == PlatformNotFoundKhr || (status == Success && count == 0))
        {
            return [];
        }

        Check(status, "clGetPlatformIDs");
        var platforms = new nint[count];
        fixed (nint* p = platforms)
        {
            Check(clGetPlatformIDs(count, p, null), "clGetPlatformIDs");
        }

        return platforms;
    }

    /// <summary>Devices of <paramref name="type"/> on <paramref name="platform"/>; empty when there are none.</summary>
    public static nint[] Devices(nint platform, ulong type)
    {
        uint count;
        int status = clGetDeviceIDs(platform, type, 0, null, &count);
        if (status == DeviceNotFound || (status == Success && count == 0))
        {
            return [];
        }

        Check(status, "clGetDeviceIDs");
        var devices = new nint[count];
        fixed (nint* p = devices)
        {
            Check(clGetDeviceIDs(platform, type, count, p, null), "clGetDeviceIDs");
        }

        return devices;
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
}
