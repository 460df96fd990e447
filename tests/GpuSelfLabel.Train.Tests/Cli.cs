namespace GpuSelfLabel.Train.Tests;

/// <summary>Runs gsl-train in-process and captures exit code, stdout and stderr.</summary>
internal static class Cli
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = TrainApp.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
