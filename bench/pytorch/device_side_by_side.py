"""GpuSelfLabel against PyTorch on one device (CUDA on the GPU machine; the CPU for the dry run).

No .NET is needed: the GpuSelfLabel side is the published `gsl` binary. Its times come from
`gsl bench --json` at the same N x K (kernel or operation medians, device waited for), its outputs
from `gsl op` on the same seeded inputs this script writes; PyTorch runs the same formulas (ops.md)
on the device, timed as the median of --repeat runs after warm-up, with the device synchronised
before each clock read. Workloads:

  softmax            sigma = softmax(z)                                        (gsl bench: softmax)
  collision-ce       H2 loss, forward + backward to dz and dy (autograd)       (gsl bench: collision-ce)
  sela-sinkhorn      one SeLa iteration, log domain, lambda = 25               (gsl bench: sinkhorn)
  swav-sinkhorn      3 iterations, eps = 0.05, B x K scores                    (gsl bench: swav-sinkhorn)
  self-classifier    2 views of N x K, loss and dS for both views (autograd)   (gsl bench: self-classifier)

Agreement: max |gsl - torch| and the worst ratio to ops.md's tolerance (1e-4 |ref| + 1e-6) for
values, "ok" when that ratio is at most 1; for SeLa (30 iterations, both sides, tol 0) also the
fraction of equal hard labels. As ops.md says, the reference is PyTorch's float64 evaluation of
the same formula on the same float32 inputs (a float32 SeLa drifts past the tolerance in 30
iterations at lambda = 25); the timed runs are float32, as gsl's.

Writes side-by-side.json (and prints a Markdown table) into --out.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import time

import numpy as np
import torch

SELA_ITERS = 30


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gsl", required=True, help="the gsl binary")
    p.add_argument("--backend", default="cuda", help="gsl backend (cuda; opencl or cpu for the dry run)")
    p.add_argument("--device", default="cuda", help="torch device (cuda; cpu for the dry run)")
    p.add_argument("--bench-json", required=True, help="gsl bench --json output at --n x --k")
    p.add_argument("--n", type=int, default=65536)
    p.add_argument("--k", type=int, default=3000)
    p.add_argument("--swav-b", type=int, default=4096, help="SwAV batch rows (gsl bench uses --n; both sides use the size named here)")
    p.add_argument("--work", required=True, help="scratch directory for inputs and gsl outputs")
    p.add_argument("--out", required=True, help="directory for side-by-side.json")
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--timeout", type=int, default=240, help="seconds allowed for each gsl op call")
    return p.parse_args()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(device, run, repeat, warmup):
    result = None
    for _ in range(warmup):
        result = run()
    sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        sync(device)
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def gsl_op(args, name, out, *options):
    cmd = [args.gsl, "op", name, "--backend", args.backend, "--out", out, "--overwrite", *options]
    subprocess.run(cmd, check=True, timeout=args.timeout, stdout=subprocess.DEVNULL)
    return lambda output: np.load(os.path.join(out, output + ".npy"))


def agreement(gsl_value, torch_value):
    ref = torch_value.detach().double().cpu().numpy()
    got = np.asarray(gsl_value, dtype=np.float64).reshape(ref.shape)
    diff = np.abs(got - ref)
    allowed = 1e-4 * np.abs(ref) + 1e-6
    worst = float((diff / allowed).max())
    finite = bool(np.isfinite(got).all())
    return {"max_abs_diff": float(diff.max()), "of_contract": worst, "finite": finite, "ok": finite and worst <= 1.0}


# ops.md formulas in PyTorch.

def collision_ce(z, y):
    z = z.detach().requires_grad_(True)
    y = y.detach().requires_grad_(True)
    losses = torch.logsumexp(z, dim=1) - torch.logsumexp(z + torch.log(y), dim=1)
    loss = losses.mean()
    dz, dy = torch.autograd.grad(loss, (z, y))
    return loss, losses, dz, dy


def sela_iteration(log_p, log_c, n, k):
    log_r = -math.log(k) - torch.logsumexp(log_p + log_c[:, None], dim=0)
    return log_r, -math.log(n) - torch.logsumexp(log_p + log_r[None, :], dim=1)


def sela(z, lam, iters):
    n, k = z.shape
    log_p = lam * (z - torch.logsumexp(z, dim=1, keepdim=True))
    log_c = torch.full((n,), -math.log(n), dtype=z.dtype, device=z.device)
    for _ in range(iters):
        log_r, log_c = sela_iteration(log_p, log_c, n, k)
    return torch.argmax(log_p + log_r[None, :], dim=1), log_r, log_c


def swav(s, eps=0.05, iters=3):
    q = torch.exp((s - s.max()) / eps)
    q = q / q.sum()
    b, k = q.shape
    for _ in range(iters):
        q = q / q.sum(dim=0, keepdim=True) / k
        q = q / q.sum(dim=1, keepdim=True) / b
    return q * b


def self_classifier(s, tau_row=0.1, tau_col=0.05, eps=1e-12):
    s = s.detach().requires_grad_(True)
    v, n, c = s.shape
    a = torch.softmax(s / tau_col, dim=1)
    t = a / torch.clamp(a.sum(dim=2, keepdim=True), min=eps)
    r = torch.softmax(s / tau_row, dim=2)
    pr = r / torch.clamp(r.sum(dim=1, keepdim=True), min=eps)
    terms = []
    for i in range(v):
        for j in range(v):
            if i != j:
                terms.append(-(t[i] * torch.log((n / c) * pr[j] + eps)).sum() / n)
    loss = torch.stack(terms).mean()
    (ds,) = torch.autograd.grad(loss, (s,))
    return loss, ds


def main():
    args = parse()
    device = torch.device(args.device)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    n, k, b = args.n, args.k, args.swav_b
    with open(args.bench_json) as f:
        bench = {r["op"]: r for r in json.load(f)["results"] if r["rows"] == n and r["columns"] == k}

    rng = np.random.default_rng(0)
    z = (3 * rng.standard_normal((n, k))).astype(np.float32)
    y_logits = (2 * rng.standard_normal((n, k))).astype(np.float32)
    y = np.exp(y_logits - y_logits.max(axis=1, keepdims=True))
    y = (y / y.sum(axis=1, keepdims=True)).astype(np.float32)
    s = np.tanh(z[:b] / 3).astype(np.float32)
    views = rng.standard_normal((2, min(n, 4096), k)).astype(np.float32)
    files = {}
    for name, value in (("z", z), ("y", y), ("s", s), ("views", views)):
        files[name] = os.path.join(args.work, name + ".npy")
        np.save(files[name], value)
    zt = torch.from_numpy(z).to(device)
    yt = torch.from_numpy(y).to(device)
    st = torch.from_numpy(s).to(device)
    vt = torch.from_numpy(views).to(device)

    rows = []

    def row(workload, shape, gsl_op_name, torch_seconds, agree, goal=None, note=""):
        r = bench.get(gsl_op_name)
        gsl_seconds = r["median_s"] if r and r.get("error") is None else None
        speedup = torch_seconds / gsl_seconds if gsl_seconds else None
        rows.append({
            "workload": workload, "shape": shape, "gsl_bench_op": gsl_op_name, "gsl_s": gsl_seconds, "torch_s": torch_seconds,
            "speedup": speedup, "goal_speedup": goal, "meets_goal": None if goal is None or speedup is None else speedup >= goal,
            "agreement": agree, "note": note,
        })

    # softmax
    with torch.no_grad():
        _, t = measure(device, lambda: torch.softmax(zt, dim=1), args.repeat, args.warmup)
        probs = torch.softmax(zt.double(), dim=1)
    out = gsl_op(args, "softmax", os.path.join(args.work, "softmax"), "--logits", files["z"])
    row("softmax", f"{n}x{k}", "softmax", t, {"probs": agreement(out("probs"), probs)}, goal=1.0)
    del probs

    # collision CE forward + backward
    _, t = measure(device, lambda: collision_ce(zt, yt), args.repeat, args.warmup)
    loss, losses, dz, dy = collision_ce(zt.double(), yt.double())
    out = gsl_op(args, "collision-ce", os.path.join(args.work, "collision-ce"), "--logits", files["z"], "--targets", files["y"])
    row("collision-ce fwd+bwd", f"{n}x{k}", "collision-ce", t, {
        "loss": agreement(out("loss"), loss), "losses": agreement(out("losses"), losses),
        "dlogits": agreement(out("dlogits"), dz), "dtargets": agreement(out("dtargets"), dy)}, goal=3.0)
    del loss, losses, dz, dy

    # SeLa: per-iteration time against gsl bench's one iteration; labels after 30 iterations on both sides
    with torch.no_grad():
        log_p = 25.0 * (zt - torch.logsumexp(zt, dim=1, keepdim=True))
        log_c0 = torch.full((n,), -math.log(n), dtype=zt.dtype, device=device)
        _, t = measure(device, lambda: sela_iteration(log_p, log_c0, n, k), args.repeat, args.warmup)
        del log_p, log_c0
        labels, log_r, log_c = sela(zt.double(), 25.0, SELA_ITERS)
    out = gsl_op(args, "sinkhorn", os.path.join(args.work, "sinkhorn"), "--logits", files["z"], "--tol", "0", "--max-iters", str(SELA_ITERS))
    gsl_labels = out("labels")
    ours = labels.cpu().numpy()
    row("sela-sinkhorn (one iteration)", f"{n}x{k}", "sinkhorn", t, {
        "labels_equal": float((gsl_labels == ours).mean()), "logr": agreement(out("logr"), log_r), "logc": agreement(out("logc"), log_c)},
        goal=3.0, note=f"labels and log r, log c after {SELA_ITERS} iterations on both sides")

    # SwAV
    with torch.no_grad():
        _, t = measure(device, lambda: swav(st), args.repeat, args.warmup)
        codes = swav(st.double())
    out = gsl_op(args, "swav-sinkhorn", os.path.join(args.work, "swav"), "--scores", files["s"])
    row("swav-sinkhorn", f"{b}x{k}", "swav-sinkhorn", t * n / b, {"codes": agreement(out("codes"), codes)},
        note=f"torch timed at {b}x{k} and scaled by N/B to gsl bench's {n}x{k}")

    # Self-Classifier
    _, t = measure(device, lambda: self_classifier(vt), args.repeat, args.warmup)
    loss, ds = self_classifier(vt.double())
    out = gsl_op(args, "self-classifier", os.path.join(args.work, "self-classifier"), "--logits", files["views"])
    vn = views.shape[1]
    row("self-classifier fwd+bwd", f"2x{vn}x{k}", "self-classifier", t * n / vn,
        {"loss": agreement(out("loss"), loss), "dlogits": agreement(out("dlogits"), ds)},
        note=f"torch timed at 2x{vn}x{k} and scaled by N/{vn} to gsl bench's 2x{n}x{k}")

    record = {"device": str(device), "torch": torch.__version__, "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
              "backend": args.backend, "n": n, "k": k, "rows": rows}
    with open(os.path.join(args.out, "side-by-side.json"), "w") as f:
        json.dump(record, f, indent=1)
    print("| workload | shape | gsl ms | torch ms | speed-up | goal | agreement |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        gsl_ms = f"{r['gsl_s'] * 1e3:.3f}" if r["gsl_s"] else "-"
        speed = f"{r['speedup']:.2f}x" if r["speedup"] else "-"
        goal = f">= {r['goal_speedup']}x {'met' if r['meets_goal'] else 'MISSED'}" if r["goal_speedup"] else ""
        print(f"| {r['workload']} | {r['shape']} | {gsl_ms} | {r['torch_s'] * 1e3:.3f} | {speed} | {goal} | {json.dumps(r['agreement'])} |")


if __name__ == "__main__":
    main()
