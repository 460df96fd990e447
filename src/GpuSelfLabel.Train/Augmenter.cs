using static TorchSharp.torch;

namespace GpuSelfLabel.Train;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// Random views of a batch, all TorchSharp ops: per image a random affine map (shift up to ±3 px on
/// 28 px, scale 0.85–1.15, rotation ±10°, a horizontal flip where it fits) applied by grid_sample,
/// then Gaussian pixel noise. Flat rows get noise and a random 10 % feature mask.
/// </summary>
internal sealed class Augmenter(int[] shape, bool flip)
{
    public Tensor View(Tensor batch)
    {
        long n = batch.shape[0];
        if (shape.Length != 3)
        {
            var keep = rand(batch.shape).gt(0.1).to_type(batch.dtype);
            return batch * keep + randn_like(batch) * 0.05;
        }

        var angle = (rand(n) * 2 - 1) * (10 * Math.PI / 180);
        var scale = 1 / (0.85 + rand(n) * 0.3);
        var sx = scale.clone();
        if (flip)
        {
            sx = sx * (rand(n).lt(0.5).to_type(ScalarType.Float32) * 2 - 1);
        }

        var shift = (rand(n, 2) * 2 - 1) * (6.0 / shape[2]);
        var cos = angle.cos();
        var sin = angle.sin();
        var theta = stack([
            stack([cos * sx, -sin * scale, shift[.., 0]], 1),
            stack([sin * sx, cos * scale, shift[.., 1]], 1)], 1);
        var grid = nn.functional.affine_grid(theta, [n, shape[0], shape[1], shape[2]], align_corners: false);
        var moved = nn.functional.grid_sample(batch, grid, align_corners: false);
        return moved + randn_like(moved) * 0.05;
    }
}
