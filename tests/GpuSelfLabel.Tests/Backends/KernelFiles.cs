using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>The kernel files as the tests see them: the embedded ones, and the repository's kernels/ directory.</summary>
public static class KernelFiles
{
    /// <summary>Every embedded kernels/*.cu, as theory data.</summary>
    public static TheoryData<string> Embedded()
    {
        var data = new TheoryData<string>();
        foreach (var file in KernelSources.Files)
        {
            data.Add(file);
        }

        return data;
    }

    /// <summary>The repository's kernels/ directory (found above the test binaries), or null outside a checkout.</summary>
    public static string? Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GpuSelfLabel.sln")) && System.IO.Directory.Exists(Path.Combine(dir.FullName, "kernels")))
                {
                    return Path.Combine(dir.FullName, "kernels");
                }
            }

            return null;
        }
    }
}
