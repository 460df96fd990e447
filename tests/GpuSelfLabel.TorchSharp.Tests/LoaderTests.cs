using GpuSelfLabel.TorchSharp.Loading;

namespace GpuSelfLabel.TorchSharp.Tests;

/// <summary>The ELF edit that lets TorchSharp 0.107's native library load on Debian 12.</summary>
public sealed class LoaderTests
{
    [Fact]
    public void The_glibcxx_3_4_32_requirement_of_torchsharps_native_library_is_marked_weak()
    {
        var path = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault();
        Assert.True(path is not null, "libLibTorchSharp.so is not in the test output");
        var image = File.ReadAllBytes(path);
        var original = (byte[])image.Clone();

        Assert.True(ElfVersionNeeds.MarkWeak(image, "GLIBCXX_3.4.32"));
        var changed = Enumerable.Range(0, image.Length).Where(i => image[i] != original[i]).ToArray();

        // One flags byte (VER_FLG_WEAK = 2) of one Elf64_Vernaux entry, nothing else.
        Assert.Single(changed);
        Assert.Equal(original[changed[0]] | 2, image[changed[0]]);
        Assert.False(ElfVersionNeeds.MarkWeak(image, "GLIBCXX_9.9.9"));
    }

    [Theory]
    [InlineData("OMP_WAIT_POLICY", "PASSIVE")]
    [InlineData("THP_MEM_ALLOC_ENABLE", "1")]
    public void The_loader_sets_libtorchs_environment_defaults_and_keeps_what_the_user_set(string name, string value)
    {
        TorchSharpLoader.EnsureLoaded();

        // .NET's view of the environment is the one the process started with: what the user set.
        string? user = Environment.GetEnvironmentVariable(name);
        Assert.Equal(user ?? value, NativeEnvironment.Get(name));
    }

    [Fact]
    public void A_file_that_is_not_a_64_bit_elf_is_left_alone()
    {
        var text = "not an ELF file at all, just some bytes that are long enough to have a header"u8.ToArray();
        var copy = (byte[])text.Clone();
        Assert.False(ElfVersionNeeds.MarkWeak(text, "GLIBCXX_3.4.32"));
        Assert.Equal(copy, text);
    }
}
