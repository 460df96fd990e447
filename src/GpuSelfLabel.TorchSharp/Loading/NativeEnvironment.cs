using System.Runtime.InteropServices;

namespace GpuSelfLabel.TorchSharp.Loading;

/// <summary>
/// Sets a variable in the process's native environment, which .NET's Environment.SetEnvironmentVariable
/// does not touch on Unix; native libraries (OpenMP in LibTorch) read only that one.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> unless the user already did.</summary>
    public static void SetDefault(string name, string value)
    {
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable(name) is null)
        {
            _ = SetEnv(name, value, 0);
        }
    }

    /// <summary>The variable as native libraries see it (null where unset, and on Windows).</summary>
    public static string? Get(string name) =>
        OperatingSystem.IsWindows() ? null : Marshal.PtrToStringUTF8(GetEnv(name));

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
