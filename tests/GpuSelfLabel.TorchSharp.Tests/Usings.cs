global using TorchSharp;
global using Xunit;
global using static TorchSharp.torch.nn;
