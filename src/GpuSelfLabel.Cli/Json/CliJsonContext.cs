using System.Text.Json.Serialization;
using GpuSelfLabel.Cli.Bench;
using GpuSelfLabel.Cli.Commands;

namespace GpuSelfLabel.Cli.Json;

/// <summary>
/// The serialisation code of every typed JSON object <c>gsl</c> prints, generated at compile time.
/// The published <c>gsl</c> is trimmed, and trimming turns reflection-based System.Text.Json off
/// (it throws at run time), so each payload type is listed here and serialised through this context.
/// Property names are the C# names in snake_case (<c>GbPerS</c> → <c>gb_per_s</c>); nulls are written.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchJson.BenchPayload))]
[JsonSerializable(typeof(DevicesCommand.DevicesPayload))]
[JsonSerializable(typeof(CheckCommand.CheckPayload))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
