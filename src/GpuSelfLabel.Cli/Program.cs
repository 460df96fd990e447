using GpuSelfLabel.Cli;

return GslApp.Run(args, Console.Out, Console.Error);
