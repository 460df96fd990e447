namespace GpuSelfLabel.Benchmarking;

/// <summary>
/// One operation prepared at one size: inputs and outputs allocated and filled, ready to be timed.
/// <see cref="Run"/> returns only once the device has finished, so a host clock around it measures
/// the work itself; disposing frees everything the case allocated.
/// </summary>
internal sealed class BenchmarkCase : IDisposable
{
    private readonly Action run;
    private readonly List<IDisposable> owned;

    private BenchmarkCase(Action run, List<IDisposable> owned)
    {
        this.run = run;
        this.owned = owned;
    }

    /// <summary>
    /// Runs <paramref name="setup"/>, which allocates through the <c>own</c> callback it is given and
    /// returns the action to time. If setup fails (a size too large for the device), what it had
    /// allocated is freed at once, so the next operation does not inherit a full device.
    /// </summary>
    public static BenchmarkCase Create(Func<Func<Tensor, Tensor>, Action> setup)
    {
        var owned = new List<IDisposable>();
        try
        {
            var run = setup(tensor =>
            {
                owned.Add(tensor);
                return tensor;
            });
            return new BenchmarkCase(run, owned);
        }
        catch
        {
            Free(owned);
            throw;
        }
    }

    public void Run() => run();

    public void Dispose() => Free(owned);

    private static void Free(List<IDisposable> items)
    {
        for (int i = items.Count - 1; i >= 0; i--)
        {
            items[i].Dispose();
        }

        items.Clear();
    }
}
