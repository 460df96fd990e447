global using TorchSharp;
global using Xunit;
global using static TorchSharp.torch.nn;

// TorchSharp's random generator and thread pool are process-wide: the test classes run one at a time,
// so a seed set by one test is the seed its own draws see.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
