using GpuSelfLabel.Tests.Infrastructure;

namespace GpuSelfLabel.Tests.Cli;

/// <summary>
/// cli.md: a user mistake is exit 2 with one line on stderr naming the argument, never a stack trace,
/// in every command that reads arrays or writes outputs.
/// </summary>
public sealed class UserMistakeTests
{
    public static TheoryData<string> Commands => ["op", "cluster", "sinkhorn"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Overflowing_negative_and_garbage_headers_name_the_argument(string command)
    {
        using var gsl = new GslRunner();
        string over = Path.Combine(gsl.Directory, "over.npy");
        NpyTestFiles.WriteRaw(over, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", []);
        AssertMistake(gsl, Args(command, over, gsl.OutDir), Argument(command), "more elements than any file can hold");

        string negative = Path.Combine(gsl.Directory, "negative.npy");
        NpyTestFiles.WriteRaw(negative, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4, 8), }", new byte[128]);
        AssertMistake(gsl, Args(command, negative, gsl.OutDir), Argument(command), "non-negative");

        string garbage = Path.Combine(gsl.Directory, "garbage.npy");
        var random = new Random(3);
        var bytes = new byte[200];
        random.NextBytes(bytes);
        File.WriteAllBytes(garbage, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, .. bytes]);
        AssertMistake(gsl, Args(command, garbage, gsl.OutDir), Argument(command), "bad header");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_directory_as_input_is_called_a_directory(string command)
    {
        using var gsl = new GslRunner();
        AssertMistake(gsl, Args(command, gsl.Directory, gsl.OutDir), Argument(command), "is a directory");
    }

    [Theory]
    [InlineData("op", "file")]
    [InlineData("op", "/dev/null")]
    [InlineData("op", "/proc/gsl-out")]
    [InlineData("op", "/proc")]
    [InlineData("cluster", "file")]
    [InlineData("cluster", "/dev/null")]
    [InlineData("cluster", "/proc/gsl-out")]
    [InlineData("sinkhorn", "file")]
    [InlineData("sinkhorn", "/dev/null")]
    [InlineData("sinkhorn", "/proc/gsl-out")]
    public void An_out_that_cannot_hold_outputs_is_refused(string command, string target)
    {
        using var gsl = new GslRunner();
        string input = gsl.Input("x", TestData.Logits(12, 3, seed: 4), 12, 3);
        if (target == "file")
        {
            target = Path.Combine(gsl.Directory, "existing");
            File.WriteAllText(target, "keep");
        }

        AssertMistake(gsl, Args(command, input, target), "out", null);
    }

    [Fact]
    public void An_unknown_operation_is_named_with_the_valid_ones()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("op", "frobnicate"));
        Assert.StartsWith("gsl: unknown operation 'frobnicate'; valid operations: softmax, log-softmax,", gsl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("op"));
        Assert.Contains("op needs an operation: softmax,", gsl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_flag_points_at_the_help_of_its_full_command()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("op", "softmax", "--bogus", "1"));
        Assert.Contains("(see 'gsl op softmax --help')", gsl.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'; commands: op, devices,")]
    [InlineData(new string[0], "a command is needed: op, devices,")]
    [InlineData(new[] { "--bogus" }, "unknown option '--bogus'; give a command first")]
    public void A_missing_or_unknown_command_is_named_with_the_commands(string[] args, string words)
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run(args));
        string line = Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.StartsWith("gsl: " + words, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tol", "abc", "'abc' for option '--tol' as a number")]
    [InlineData("--max-iters", "1.5", "'1.5' for option '--max-iters' as a whole number")]
    public void A_value_of_the_wrong_kind_is_said_without_dotnet_type_names(string option, string value, string words)
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("op", "cce-em", "--probs", "p.npy", option, value, "--out", gsl.OutDir));
        string line = Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.Contains(words, line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_given_to_a_switch_names_the_switch()
    {
        using var gsl = new GslRunner();
        Assert.Equal(2, gsl.Run("cluster", "--features", "x.npy", "--k", "2", "--l2-normalize", "maybe"));
        string line = Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.StartsWith("gsl: argument 'l2-normalize': is a switch", line, StringComparison.Ordinal);
        Assert.Contains("'maybe'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Devices_lists_the_backend_asked_for_and_refuses_an_unknown_one()
    {
        using var gsl = new GslRunner();
        Assert.Equal(0, gsl.Run("devices", "--backend", "cpu"));
        Assert.StartsWith("cpu ", Assert.Single(gsl.Stdout.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Equal(2, gsl.Run("devices", "--backend", "bogus"));
        Assert.Equal("gsl: argument 'backend': 'bogus' is not one of auto, cpu, opencl, cuda", gsl.Stderr.Trim());
    }

    [Theory]
    [InlineData("cce-em")]
    [InlineData("self-classifier")]
    [InlineData("swav")]
    public void Diverging_training_names_the_learning_rate_not_the_logits(string method)
    {
        using var gsl = new GslRunner();
        string features = gsl.Input("x", TestData.Logits(60, 4, seed: 12, scale: 1.0), 60, 4);
        Assert.Equal(2, gsl.Run("cluster", "--features", features, "--k", "3", "--lr", "1e30", "--epochs", "2", "--quiet", "--method", method, "--backend", "cpu"));
        string line = Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.StartsWith("gsl: argument 'lr': training diverged", line, StringComparison.Ordinal);
        Assert.Contains("lower the learning rate", line, StringComparison.Ordinal);
    }

    internal static string Argument(string command) => command switch
    {
        "cluster" => "features",
        _ => "logits",
    };

    internal static string[] Args(string command, string input, string output) => command switch
    {
        "op" => ["op", "softmax", "--logits", input, "--out", output, "--backend", "cpu"],
        "cluster" => ["cluster", "--features", input, "--k", "2", "--epochs", "1", "--quiet", "--out", output, "--backend", "cpu"],
        _ => ["sinkhorn", "--logits", input, "--quiet", "--out", output, "--backend", "cpu"],
    };

    internal static void AssertMistake(GslRunner gsl, string[] args, string argument, string? words)
    {
        Assert.Equal(2, gsl.Run(args));
        string line = Assert.Single(gsl.Stderr.Trim().Split('\n'));
        Assert.Contains($"'{argument}'", line, StringComparison.Ordinal);
        if (words is not null)
        {
            Assert.Contains(words, line, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", gsl.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(gsl.OutDir) && Directory.EnumerateFileSystemEntries(gsl.OutDir).Any(), "outputs were written");
    }
}
