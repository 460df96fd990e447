using BenchmarkDotNet.Running;

// Runs the suites named on the command line (BenchmarkDotNet's --filter), e.g.
//   dotnet run -c Release --project bench/GpuSelfLabel.Bench -- --filter '*Softmax*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
