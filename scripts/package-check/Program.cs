// A fresh console app that gets GpuSelfLabel.TorchSharp (and GpuSelfLabel) from a local package
// feed, as a user's app would, and trains one step: scripts/test.sh builds and runs it.
using GpuSelfLabel;
using GpuSelfLabel.TorchSharp;
using TorchSharp;
using static TorchSharp.torch.nn;

TorchSharpLoader.EnsureLoaded();
torch.manual_seed(0);
var kernels = typeof(Softmax).Assembly.GetManifestResourceNames();
if (!kernels.Contains("kernels/softmax.cu") || !kernels.Contains("kernels/common/gsl_portable.h"))
{
    Console.Error.WriteLine("package check: the kernel sources are not embedded in GpuSelfLabel.dll");
    return 1;
}

var features = torch.randn(128, 6);
var model = Linear(6, 4);
var optimizer = torch.optim.SGD(model.parameters(), 0.5);
var losses = new List<float>();
for (int step = 0; step < 2; step++)
{
    optimizer.zero_grad();
    var logits = model.forward(features);
    var targets = GslPseudoLabels.em(GslFunctional.softmax(logits.detach()), lambda: 1.0);
    var loss = GslFunctional.collision_cross_entropy(logits, targets);
    loss.backward();
    optimizer.step();
    losses.Add(loss.item<float>());
}

try
{
    GslFunctional.collision_cross_entropy(torch.randn(3, 4), torch.ones(3, 4));
    Console.Error.WriteLine("package check: targets that are not distributions were accepted");
    return 1;
}
catch (GslArgumentException e) when (e.Argument == "targets")
{
}

if (!losses.All(float.IsFinite) || !model.weight!.grad!.isfinite().all().item<bool>())
{
    Console.Error.WriteLine($"package check: non-finite loss or gradient ({string.Join(", ", losses)})");
    return 1;
}

Console.WriteLine($"package check: trained one step, loss {losses[0]:F4} -> {losses[1]:F4} ({TorchSharpLoader.Outcome})");
return 0;
