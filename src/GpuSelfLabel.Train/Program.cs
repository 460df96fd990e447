using GpuSelfLabel.Train;

// Before anything loads LibTorch: its OpenMP threads otherwise spin between parallel regions and
// starve the library's own CPU kernels (3-4x slower steps on 2 cores). Then TorchSharp's loader,
// which TorchSharp 0.107 needs on Debian 12, is the first thing TrainApp calls.
NativeEnvironment.SetDefault("OMP_WAIT_POLICY", "PASSIVE");
return TrainApp.Start(args);
