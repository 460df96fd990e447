using System.Runtime.CompilerServices;

namespace GpuSelfLabel.TorchSharp.Tests;

/// <summary>
/// TorchSharp 0.107's native library loads on Debian 12 only through the library's loader. Tests that
/// start with a plain TorchSharp call (torch.manual_seed, torch.randn) would otherwise depend on some
/// earlier test having called into GpuSelfLabel.TorchSharp first, which xunit's order does not promise.
/// </summary>
internal static class LoadTorchSharpFirst
{
#pragma warning disable CA2255 // A test assembly is the one place where loading a native dependency at start-up is the point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Load() => TorchSharpLoader.EnsureLoaded();
}
