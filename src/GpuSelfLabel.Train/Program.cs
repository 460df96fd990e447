using GpuSelfLabel.Train;

// TorchSharp's loader (which TorchSharp 0.107 needs on Debian 12, and which keeps LibTorch's OpenMP
// threads from spinning against the library's own CPU kernels) is the first thing TrainApp calls.
return TrainApp.Start(args);
