"""PyTorch CPU: SwAV's in-batch Sinkhorn-Knopp (ops.md section 6) as the SwAV training code does it,
in the linear domain on the transposed K x B matrix, with the spec's max shift before exp."""
import torch

from common import arguments, load, measure, save


def swav(scores, epsilon, iters):
    q = torch.exp((scores - scores.max()) / epsilon).t()
    b = q.shape[1]
    k = q.shape[0]
    q /= torch.sum(q)
    for _ in range(iters):
        q /= torch.sum(q, dim=1, keepdim=True)
        q /= k
        q /= torch.sum(q, dim=0, keepdim=True)
        q /= b
    q *= b
    return q.t()


def main():
    args = arguments(__doc__)
    s = load(args, "s")
    with torch.no_grad():
        codes, times = measure(args, lambda: swav(s, 0.05, 3))
    save(args, "swav_sinkhorn", times, {"codes": codes.contiguous()})


if __name__ == "__main__":
    main()
