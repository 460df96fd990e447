namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// One operation prepared at one size: inputs and outputs allocated and filled, ready to be timed.
/// <see cref="Run"/> returns only once the device has finished, so a host clock around it measures
/// the work itself; disposing frees everything the case allocated.
/// </summary>
internal sealed class BenchmarkCase : IDisposable
{
    private readonly Action run;
    private readonly IDisposable[] owned;

    public BenchmarkCase(Action run, params IDisposable[] owned)
    {
        this.run = run;
        this.owned = owned;
    }

    public void Run() => run();

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item.Dispose();
        }
    }
}
