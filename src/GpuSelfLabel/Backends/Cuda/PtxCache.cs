using System.Security.Cryptography;
using System.Text;

namespace GpuSelfLabel.Backends.Cuda;

/// <summary>
/// PTX compiled by NVRTC, kept on disk so a process does not pay the compile again:
/// $XDG_CACHE_HOME/gpuselflabel/ptx (else ~/.cache/gpuselflabel/ptx), one file per SHA-256 of
/// source, options, architecture and NVRTC version. Any change to any of them is a new key, so
/// nothing is ever invalidated; a cache that cannot be read or written is simply not used.
/// </summary>
internal static class PtxCache
{
    /// <summary>The cache directory, or null when there is no home to put it in.</summary>
    public static string? Directory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
            {
                string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home))
                {
                    return null;
                }

                root = Path.Combine(home, ".cache");
            }

            return Path.Combine(root, "gpuselflabel", "ptx");
        }
    }

    public static string Key(string source, IReadOnlyList<string> options, int architecture, (int Major, int Minor) nvrtcVersion)
    {
        var text = new StringBuilder()
            .Append(source).Append('\0')
            .AppendJoin('\u0001', options).Append('\0')
            .Append("compute_").Append(architecture).Append('\0')
            .Append("nvrtc ").Append(nvrtcVersion.Major).Append('.').Append(nvrtcVersion.Minor);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public static byte[]? TryRead(string key)
    {
        if (Directory is not { } dir)
        {
            return null;
        }

        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, key + ".ptx"));

            // A torn or truncated file would end without the terminator NVRTC writes.
            return bytes.Length > 0 && bytes[^1] == 0 ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Write(string key, byte[] ptx)
    {
        if (Directory is not { } dir)
        {
            return;
        }

        try
        {
            System.IO.Directory.CreateDirectory(dir);

            // Write aside, then rename: a concurrent reader sees the old file or the whole new one.
            string temporary = Path.Combine(dir, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            File.WriteAllBytes(temporary, ptx);
            File.Move(temporary, Path.Combine(dir, key + ".ptx"), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home only costs the recompile next time.
        }
    }
}
