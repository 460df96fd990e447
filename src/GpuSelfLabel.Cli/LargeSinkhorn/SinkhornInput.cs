using System.Diagnostics;
using System.Globalization;
using GpuSelfLabel.Backends;
using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli.LargeSinkhorn;

/// <summary>
/// The score matrix of one <c>gsl sinkhorn</c> run as a <see cref="SinkhornProblem"/>: a memory-mapped
/// .npy of logits, features with a classifier, or a generated synthetic problem. Owns the mappings and
/// host tensors until disposed.
/// </summary>
internal sealed class SinkhornInput : IDisposable
{
    private readonly List<IDisposable> owned = [];

    private SinkhornInput()
    {
    }

    public SinkhornProblem Problem { get; private set; } = null!;

    /// <summary>Where the matrix came from, in words.</summary>
    public string Description { get; private set; } = string.Empty;

    /// <summary>Seconds spent generating a synthetic matrix (0 otherwise).</summary>
    public double GenerateSeconds { get; private set; }

    /// <summary>A memory-mapped .npy of N×K or H×N×K logits.</summary>
    public static SinkhornInput FromLogits(FileInfo file, DType? declared, Backend backend)
    {
        var input = new SinkhornInput();
        try
        {
            string path = InputFiles.Existing(file, "logits");
            if (declared is null or DType.Float32 && InputFiles.Reading(file, "logits", () => IsFloat64(path)))
            {
                // cli.md reads float64 as float32 everywhere; such a file cannot be mapped as the solver's
                // storage, so it is read whole and converted once (it must fit in RAM as float32).
                input.Problem = SinkhornProblem.FromLogits(InputFiles.Floats(file, "logits", Backend.Cpu, input.owned.Add), backend);
                input.Description = $"{file.Name} (float64, read and converted to float32)";
                return input;
            }

            var mapped = input.Track(InputFiles.Reading(file, "logits", () => NpyMappedArray.Open(path, declared)));
            if (declared is { } wanted && mapped.Tensor.DType != wanted)
            {
                throw new UsageException($"--logits {file.Name} holds {Name(mapped.Tensor.DType)} but --dtype asks for {Name(wanted)}; convert the file (numpy: x.astype(...)) or drop --dtype");
            }

            input.Problem = SinkhornProblem.FromLogits(mapped.Tensor, backend);
            input.Description = $"{file.Name} (memory-mapped {Name(mapped.Tensor.DType)})";
            return input;
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>Features N×D (memory-mapped float32, or read whole), weights D×K or H×D×K and an optional bias.</summary>
    public static SinkhornInput FromFeatures(FileInfo features, FileInfo? weights, FileInfo? bias, Backend backend)
    {
        if (weights is null)
        {
            throw new UsageException("--features needs --weights (D×K or H×D×K) too");
        }

        var input = new SinkhornInput();
        try
        {
            var x = input.Floats(features, "features");
            var w = input.Floats(weights, "weights");
            var b = bias is null ? null : input.Floats(bias, "bias");
            input.Problem = SinkhornProblem.FromFeatures(x, w, b, backend);
            string product = backend.HasDeviceGemm ? $"cuBLAS ({Native.CuBlas.Describe})" : Gemm.Describe();
            input.Description = string.Create(CultureInfo.InvariantCulture, $"{features.Name} × {weights.Name}{(bias is null ? string.Empty : " + " + bias.Name)} (scores recomputed per chunk, {product})");
            return input;
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>The synthetic problem of <see cref="SyntheticScores"/>, generated in host memory.</summary>
    public static SinkhornInput Synthetic(int heads, long rows, int columns, int seed, DType dtype, Backend backend, CancellationToken cancellation)
    {
        long bytes = checked(heads * rows * columns * dtype.SizeInBytes());
        long available = Backend.Cpu.AvailableMemoryBytes;
        if (bytes > available)
        {
            throw new UsageException($"the synthetic matrix needs {SinkhornMemoryPlan.Bytes(bytes)} of RAM but about {SinkhornMemoryPlan.Bytes(available)} is available; " +
                $"use --dtype bfloat16 or float16 (half the size), fewer rows, or --features");
        }

        var input = new SinkhornInput();
        try
        {
            var clock = Stopwatch.StartNew();
            var logits = input.Track(SyntheticScores.Generate(heads, rows, columns, seed, dtype, cancellation));
            input.GenerateSeconds = clock.Elapsed.TotalSeconds;
            string placement = string.Empty;
            if (!backend.HostAddressable && bytes <= backend.AvailableMemoryBytes / 2 && bytes <= backend.MaxBufferBytes)
            {
                // A matrix that fits on the device is copied there once, so every pass reads device memory
                // rather than streaming the host copy over the bus (as a caller whose scores a network just
                // produced on the device would have them).
                clock.Restart();
                logits = input.Track(UploadOnce(logits, backend));
                placement = string.Create(CultureInfo.InvariantCulture, $", copied to the device in {clock.Elapsed.TotalSeconds:F1} s");
            }

            input.Problem = SinkhornProblem.FromLogits(logits, backend);
            input.Description = string.Create(CultureInfo.InvariantCulture, $"synthetic, seed {seed} ({Name(dtype)}, generated in {input.GenerateSeconds:F1} s{placement})");
            return input;
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>Whether the .npy file at <paramref name="path"/> holds little-endian float64.</summary>
    private static bool IsFloat64(string path)
    {
        using var stream = File.OpenRead(path);
        return NpyReader.ReadHeader(stream).Descr == "<f8";
    }

    /// <summary>"float32", "float16" or "bfloat16".</summary>
    public static string Name(DType dtype) => dtype switch
    {
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        _ => "float32",
    };

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    /// <summary>A float32 host array: mapped when the file is float32 already, else read and converted.</summary>
    private Tensor Floats(FileInfo file, string argument) => InputFiles.Floats(file, argument, Backend.Cpu, owned.Add);

    private T Track<T>(T item)
        where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    /// <summary>A copy of the host tensor <paramref name="host"/> on <paramref name="backend"/>, moved in pieces of at most 1 GiB.</summary>
    private static unsafe Tensor UploadOnce(Tensor host, Backend backend)
    {
        var device = backend.Allocate(host.DType, [.. host.Shape]);
        try
        {
            const long piece = 1L << 30;
            for (long offset = 0; offset < host.SizeInBytes; offset += piece)
            {
                int length = (int)Math.Min(piece, host.SizeInBytes - offset);
                var source = new ReadOnlySpan<byte>((byte*)(host.Buffer.Handle + (nint)(host.ByteOffset + offset)), length);
                backend.Upload(device.Buffer, device.ByteOffset + offset, source);
            }

            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }
}
