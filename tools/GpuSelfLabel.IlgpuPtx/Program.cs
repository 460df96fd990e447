using GpuSelfLabel.Kernels.Ilgpu;

// Usage: dotnet run --project tools/GpuSelfLabel.IlgpuPtx [-- OUT_DIR]   (default: kernels/ilgpu of this repository)
// Writes one PTX module per kernel family; the core assembly embeds them, and a test fails when they
// no longer match what the C# sources compile to.
string output = args.Length > 0 ? args[0] : Path.Combine(RepositoryRoot(), "kernels", "ilgpu");
Directory.CreateDirectory(output);
foreach (var (family, ptx) in IlgpuPtxCompiler.CompileAll())
{
    string path = Path.Combine(output, family.Family + ".ptx");
    File.WriteAllText(path, ptx);
    Console.WriteLine($"{path}: {family.Kernels.Count} kernels ({string.Join(", ", family.Kernels.Select(k => k.Name))})");
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "GpuSelfLabel.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("GpuSelfLabel.sln not found above " + AppContext.BaseDirectory + "; pass the output folder");
}
