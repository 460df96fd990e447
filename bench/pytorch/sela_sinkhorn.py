"""PyTorch CPU: SeLa Sinkhorn-Knopp in the log domain, exactly the loop of ops.md section 5:

    c <- 1/N ; err <- inf ; t <- 0
    while err > tol and t < maxIters:
        r_k  <- (1/K) / sum_i P_ik c_i
        c'_i <- (1/N) / sum_k P_ik r_k
        if t mod checkEvery = 0: err <- sum_i |c_i / c'_i - 1|
        c <- c' ; t <- t + 1
    label_i = argmax_k P_ik r_k

with log P = lambda (z - logsumexp_k z) and every sum a logsumexp. tol is tiny so that both sides run
exactly --iters iterations."""
import math

import torch

from common import arguments, load, measure, save


def sela(z, lam, iters, tol, check_every):
    n, k = z.shape
    log_p = lam * (z - torch.logsumexp(z, dim=1, keepdim=True))
    log_c = torch.full((n,), -math.log(n), dtype=z.dtype)
    log_r = torch.zeros(k, dtype=z.dtype)
    err = math.inf
    t = 0
    while err > tol and t < iters:
        log_r = -math.log(k) - torch.logsumexp(log_p + log_c[:, None], dim=0)
        log_c_next = -math.log(n) - torch.logsumexp(log_p + log_r[None, :], dim=1)
        if t % check_every == 0:
            err = torch.sum(torch.abs(torch.exp(log_c - log_c_next) - 1)).item()
        log_c = log_c_next
        t += 1
    labels = torch.argmax(log_p + log_r[None, :], dim=1)
    return labels, log_r, log_c, t


def main():
    args = arguments(__doc__)
    z = load(args, "z")
    with torch.no_grad():
        (labels, log_r, log_c, t), times = measure(args, lambda: sela(z, 25.0, 30, 1e-12, 10))
    save(args, "sela_sinkhorn", times, {"labels": labels, "logr": log_r, "logc": log_c}, {"iterations": t})


if __name__ == "__main__":
    main()
