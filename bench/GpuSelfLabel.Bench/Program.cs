using BenchmarkDotNet.Running;
using GpuSelfLabel.Bench;

// Two plain runners, then BenchmarkDotNet for everything else:
//   side-by-side --inputs DIR --out DIR [--repeat 5] [--warmup 1] [--backend cpu]   (bench/side-by-side.sh drives it)
//   em-vs-pgd [--out FILE.md] [--quick]                                              (EM against projected gradient)
//   --filter '*Softmax*'                                                             (BenchmarkDotNet suites)
return args.FirstOrDefault() switch
{
    "side-by-side" => SideBySide.Run(args[1..]),
    "em-vs-pgd" => EmVersusProjectedGradient.Run(args[1..]),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(BackendParameters).Assembly).Run(args);
    return 0;
}
