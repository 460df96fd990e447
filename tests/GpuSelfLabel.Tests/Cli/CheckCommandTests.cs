using System.Text.Json;
using GpuSelfLabel.Cli.Check;
using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// <c>gsl check --backend &lt;name&gt;</c> in-process on small sizes: every case passes (exit 0, the
/// table, the JSON), and with tolerances scaled to 0 the same run fails (exit 1, the failing cases
/// named), so the check can tell a wrong kernel from a right one. Bound per GPU backend in
/// Backends/OpenClBindings.cs and Backends/CudaBindings.cs; CI runs the OpenCL binding on PoCL.
/// </summary>
public abstract class CheckCommandTestsBase : BackendTestBase
{
    /// <summary>One row, K = 2, K not a multiple of any group size; the edge cases run at 33×257.</summary>
    private static readonly string[] Small = ["--sizes", "1x2,7x3,33x257"];

    private static readonly string[] Operations =
    [
        "softmax", "log-softmax", "softmax-backward", "log-softmax-backward", "collision-ce", "cross-entropy", "cce-em",
        "sinkhorn", "swav-sinkhorn", "self-classifier", "avgk-threshold", "avgk-pseudo-labels", "two-head-loss",
    ];

    [SkippableFact]
    public void Every_case_passes_and_the_table_names_every_operation_and_edge_case()
    {
        _ = Backend;
        using var gsl = new GslRunner();
        Assert.True(gsl.Run(["check", "--backend", BackendName, .. Small]) == 0, gsl.Stdout + gsl.Stderr);
        foreach (var op in Operations)
        {
            Assert.Contains($" {op} ", gsl.Stdout, StringComparison.Ordinal);
        }

        foreach (var edge in new[] { "33×257 ±80", "33×257 ties ×1e30", "33×257 float16", "33×257 bfloat16", "bfloat16 streamed, chunks of 11", "3×33×257 heads", "1×2" })
        {
            Assert.Contains(edge, gsl.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("FAIL", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{CaseCount} passed, 0 failed", gsl.Stdout, StringComparison.Ordinal);
        Assert.Contains("of allowed", gsl.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Json_lists_every_case_with_its_error_and_time()
    {
        _ = Backend;
        using var gsl = new GslRunner();
        Assert.True(gsl.Run(["check", "--backend", BackendName, .. Small, "--json"]) == 0, gsl.Stdout + gsl.Stderr);
        using var json = JsonDocument.Parse(gsl.Stdout);
        var root = json.RootElement;
        Assert.Equal(BackendName, root.GetProperty("backend").GetString());
        Assert.Equal(CaseCount, root.GetProperty("passed").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(CaseCount, cases.Count);
        Assert.Equal(Operations, cases.Select(c => c.GetProperty("op").GetString()).Distinct());
        foreach (var c in cases)
        {
            Assert.True(c.GetProperty("ok").GetBoolean());
            Assert.True(c.GetProperty("max_error").GetDouble() >= 0);
            Assert.InRange(c.GetProperty("of_allowed").GetDouble(), 0, 1);
            Assert.True(c.GetProperty("ms").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, c.GetProperty("failure").ValueKind);
        }
    }

    [SkippableFact]
    public void Zero_tolerance_fails_with_exit_1_and_names_the_failing_cases()
    {
        _ = Backend;
        using var gsl = new GslRunner();
        // A GPU backend sums in another order than the CPU, so bitwise agreement is demanded of values that differ in their last bits.
        Assert.Equal(1, gsl.Run(["check", "--backend", BackendName, .. Small, "--tolerance-scale", "0"]));
        Assert.Matches(@"FAIL softmax 33×257: probs\[\d+\] = ", gsl.Stdout);
        Assert.Matches(@"\d+ passed, [1-9]\d* failed", gsl.Stdout);
        Assert.Contains("FAILED", gsl.Stderr, StringComparison.Ordinal);
    }

    /// <summary>13 operations at each of the 3 sizes, 5 with ±80 logits, SeLa on ties ×1e30, in float16, bfloat16, bfloat16 streamed and with 3 heads.</summary>
    private static int CaseCount => (Operations.Length * 3) + 5 + 5;
}

/// <summary>The check's own parts, without a device: a wrong output fails, bad options are exit 2.</summary>
public sealed class CheckCommandTests
{
    [Fact]
    public void A_value_beyond_the_contract_fails_and_is_named()
    {
        var cpu = new List<CheckOutput> { new("probs", CheckRule.Elementwise, [0.5, 0.25, 0.25]), CheckOutput.Scalar("loss", 2.0) };
        var comparison = new CheckComparison(1);
        var within = new List<CheckOutput> { new("probs", CheckRule.Elementwise, [0.5 + 1e-4, 0.25, 0.25]), CheckOutput.Scalar("loss", 2.0 + 3e-5) };
        Assert.True(comparison.Compare(cpu, within).Ok);
        var wrong = new List<CheckOutput> { new("probs", CheckRule.Elementwise, [0.5, 0.25 + 2e-4, 0.25]), CheckOutput.Scalar("loss", 2.0) };
        var verdict = comparison.Compare(cpu, wrong);
        Assert.False(verdict.Ok);
        Assert.StartsWith("probs[1] = ", verdict.Failure, StringComparison.Ordinal);
        Assert.True(verdict.WorstRatio > 1);
        Assert.False(comparison.Compare(cpu, [cpu[0], CheckOutput.Scalar("loss", 2.0 + 5e-5)]).Ok);
        Assert.False(comparison.Compare(cpu, [new("probs", CheckRule.Elementwise, [0.5, double.NaN, 0.25]), cpu[1]]).Ok);
    }

    [Fact]
    public void Labels_may_differ_only_at_near_ties()
    {
        float[] codes = [0.5f, 0.5f - 1e-7f, 0f, 0.9f, 0.1f, 0f];
        var cpu = new List<CheckOutput> { CheckOutput.Labels("labels", [0, 0], codes) };
        var comparison = new CheckComparison(1);
        Assert.True(comparison.Compare(cpu, [CheckOutput.Labels("labels", [1, 0], codes)]).Ok);
        Assert.False(comparison.Compare(cpu, [CheckOutput.Labels("labels", [0, 1], codes)]).Ok);
        Assert.False(comparison.Compare([CheckOutput.Exact("iterations", 10)], [CheckOutput.Exact("iterations", 11)]).Ok);
    }

    [Fact]
    public void Cpu_against_itself_passes_and_bad_options_are_exit_2()
    {
        using var gsl = new GslRunner();
        Assert.True(gsl.Run("check", "--backend", "cpu", "--sizes", "7x3,5x10") == 0, gsl.Stdout + gsl.Stderr);
        Assert.Contains("passed, 0 failed", gsl.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("check", "--backend", "cpu", "--sizes", "7x1"));
        Assert.Contains("sizes", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("check", "--backend", "cpu", "--tolerance-scale", "-1"));
        Assert.Contains("tolerance-scale", gsl.Stderr, StringComparison.Ordinal);
    }
}
