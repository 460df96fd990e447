using System.Text.RegularExpressions;
using GpuSelfLabel.Backends.Gpu;

namespace GpuSelfLabel.Tests.Backends;

/// <summary>The embedded kernel sources and the include inliner both GPU backends compile through.</summary>
public sealed partial class KernelSourceTests
{
    [SkippableFact]
    public void Every_kernel_file_of_the_repository_is_embedded_unchanged()
    {
        var root = KernelFiles.Directory;
        Skip.If(root is null, "not run from a repository checkout");
        var onDisk = Directory.EnumerateFiles(root!, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cu", StringComparison.Ordinal) || f.EndsWith(".h", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root!, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(onDisk, KernelSources.AllPaths);
        foreach (var path in onDisk)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(root!, path)).ReplaceLineEndings("\n"), KernelSources.Raw(path).ReplaceLineEndings("\n"));
        }

        Assert.Contains("softmax.cu", KernelSources.Files);
    }

    [Fact]
    public void Kernel_sources_are_ascii()
    {
        // Some OpenCL compilers reject non-ASCII bytes even inside comments.
        foreach (var path in KernelSources.AllPaths)
        {
            var text = KernelSources.Raw(path);
            int bad = text.AsSpan().IndexOfAnyExceptInRange('\0', '\x7f');
            Assert.True(bad < 0, $"{path} has a non-ASCII character at offset {bad}");
        }
    }

    [Fact]
    public void Every_kernel_file_says_which_spec_section_it_implements()
    {
        foreach (var file in KernelSources.Files)
        {
            Assert.StartsWith("/*", KernelSources.Raw(file), StringComparison.Ordinal);
            Assert.Contains("ops.md", KernelSources.Raw(file).Split("*/")[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Includes_are_inlined_once_with_line_directives()
    {
        string unit = KernelSources.Load("softmax.cu");
        Assert.DoesNotMatch(IncludeLine(), unit);
        Assert.Single(Regex.Matches(unit, "#define GSL_PORTABLE_H"));
        Assert.Single(Regex.Matches(unit, "#define GSL_REDUCTIONS_H"));
        Assert.Contains("#line 1 \"common/gsl_portable.h\"", unit, StringComparison.Ordinal);
        Assert.StartsWith("#line 1 \"softmax.cu\"", unit, StringComparison.Ordinal);

        // After the last include the line numbers of softmax.cu resume exactly.
        var lines = unit.Split('\n');
        int kernelLine = Array.FindIndex(lines, l => l.StartsWith("KERNEL void softmax_forward_rows", StringComparison.Ordinal));
        var directive = lines.Take(kernelLine).Last(l => l.StartsWith("#line", StringComparison.Ordinal));
        int declaredLine = int.Parse(directive.Split(' ')[1]) + (kernelLine - Array.LastIndexOf(lines, directive, kernelLine) - 1);
        int actualLine = Array.FindIndex(KernelSources.Raw("softmax.cu").Split('\n'), l => l.StartsWith("KERNEL void softmax_forward_rows", StringComparison.Ordinal)) + 1;
        Assert.Equal(actualLine, declaredLine);
    }

    [GeneratedRegex("^\\s*#\\s*include", RegexOptions.Multiline)]
    private static partial Regex IncludeLine();
}
