namespace GpuSelfLabel.Tests.Backends;

/// <summary>
/// Caller-owned scratch (CUB's habit): the launchers both GPU backends share take their partials from
/// the caller's workspace, so none of them may allocate device memory. The allocation-count tests of
/// each family check the counts at run time; this one keeps a new launcher from slipping back.
/// </summary>
public sealed class LauncherScratchTests
{
    [SkippableFact]
    public void No_launcher_allocates_device_memory()
    {
        var kernels = KernelFiles.Directory;
        Skip.If(kernels is null, "not run from a repository checkout");
        var launchers = Path.Combine(Path.GetDirectoryName(kernels!)!, "src", "GpuSelfLabel", "Backends", "Gpu");
        var files = Directory.EnumerateFiles(launchers, "*.cs").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            string text = File.ReadAllText(file);
            foreach (var call in new[] { "AllocateBuffer(", ".Allocate(", "AllocateScanScratch(" })
            {
                Assert.False(text.Contains(call, StringComparison.Ordinal), $"{Path.GetFileName(file)} calls {call}: a launcher takes scratch from its caller (a Backend.*ScratchElements workspace)");
            }
        }
    }
}
