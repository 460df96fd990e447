using GpuSelfLabel.Cli.Npy;

namespace GpuSelfLabel.Cli;

/// <summary>
/// cli.md's exit codes: 0 success, 2 bad usage or invalid input (one line on stderr naming the
/// argument), 1 internal or device error. A user mistake never shows a stack trace.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    public static int Run(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserMistake(e))
        {
            error.WriteLine($"gsl: {e.Message}");
            return Usage;
        }
        catch (GslDeviceException e)
        {
            error.WriteLine($"gsl: device error: {e.Message}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("gsl: cancelled");
            return Failure;
        }
#pragma warning disable CA1031 // The last resort turns any bug into exit code 1 with its trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"gsl: internal error: {e}");
            return Failure;
        }
    }

    private static bool IsUserMistake(Exception e) =>
        e is GslArgumentException or UsageException or NpyFormatException;
}
