"""The PyTorch side of bench/whole-process.sh: one whole process that loads .npy inputs, computes one
operation and saves its outputs as .npy, the way a user would script it; timed from outside, like gsl.

  collision-ce: loss, losses, dlogits, dtargets of -ln sum_k y_k softmax(z)_k (ops.md section 2),
                gradients by autograd.
  sinkhorn:     SeLa Sinkhorn-Knopp (ops.md section 5), lambda 25, exactly --iters iterations
                (gsl: --tol 0 --max-iters ITERS); labels, logr, logc, iterations.
"""
import argparse
import math
import os

import numpy as np
import torch


def save(out, name, value):
    np.save(os.path.join(out, name + ".npy"), value.detach().numpy() if torch.is_tensor(value) else np.asarray(value))


def collision_ce(args):
    z = torch.from_numpy(np.load(args.logits)).requires_grad_()
    y = torch.from_numpy(np.load(args.targets)).requires_grad_()
    losses = torch.logsumexp(z, dim=1) - torch.logsumexp(z + torch.log(y), dim=1)
    loss = losses.mean()
    loss.backward()
    save(args.out, "loss", loss.float())
    save(args.out, "losses", losses)
    save(args.out, "dlogits", z.grad)
    save(args.out, "dtargets", y.grad)


def sinkhorn(args):
    z = torch.from_numpy(np.load(args.logits))
    n, k = z.shape
    with torch.no_grad():
        log_p = 25.0 * (z - torch.logsumexp(z, dim=1, keepdim=True))
        log_c = torch.full((n,), -math.log(n), dtype=z.dtype)
        log_r = torch.zeros(k, dtype=z.dtype)
        for _ in range(args.iters):
            log_r = -math.log(k) - torch.logsumexp(log_p + log_c[:, None], dim=0)
            log_c = -math.log(n) - torch.logsumexp(log_p + log_r[None, :], dim=1)
        labels = torch.argmax(log_p + log_r[None, :], dim=1)
    save(args.out, "labels", labels)
    save(args.out, "logr", log_r)
    save(args.out, "logc", log_c)
    save(args.out, "iterations", np.int64(args.iters))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("op", choices=["collision-ce", "sinkhorn"])
    parser.add_argument("--logits", required=True)
    parser.add_argument("--targets")
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    {"collision-ce": collision_ce, "sinkhorn": sinkhorn}[args.op](args)


if __name__ == "__main__":
    main()
