"""Compares the GpuSelfLabel and PyTorch outputs of the side-by-side benchmark and writes the report.

Reads WORK/gsl and WORK/torch (WORKLOAD.json timings, WORKLOAD.NAME.npy outputs) and WORK/inputs,
checks both sides against each other and, on samples, against float64 evaluations of ops.md's
formulas, and writes a Markdown report with the machine, the versions, the times and the speedups.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess

import numpy as np
import torch

ROWS_CHECKED = 2000


def run(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    model = "unknown"
    for line in run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
    }


def load(work, side, workload):
    with open(os.path.join(work, side, workload + ".json")) as f:
        return json.load(f)


def array(work, side, workload, name):
    return np.load(os.path.join(work, side, f"{workload}.{name}.npy"))


def contract_ratio(got, ref):
    """max |got - ref| / (1e-4 |ref| + 1e-6): at most 1 within ops.md's elementwise contract."""
    return float(np.max(np.abs(got.astype(np.float64) - ref) / (1e-4 * np.abs(ref) + 1e-6)))


def max_abs(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def softmax64(z):
    z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_softmax(work, inputs):
    z = np.load(os.path.join(inputs, "z.npy"), mmap_mode="r")[:ROWS_CHECKED]
    g = np.load(os.path.join(inputs, "g.npy"), mmap_mode="r")[:ROWS_CHECKED].astype(np.float64)
    ref_p = softmax64(z)
    ref_d = ref_p * (g - (g * ref_p).sum(axis=1, keepdims=True))
    lines = []
    for side in ("gsl", "torch"):
        p = array(work, side, "softmax", "probs")[:ROWS_CHECKED]
        d = array(work, side, "softmax", "dlogits")[:ROWS_CHECKED]
        lines.append(f"{side}: σ {contract_ratio(p, ref_p):.2g}, ∂z {contract_ratio(d, ref_d):.2g}")
    gp, tp = array(work, "gsl", "softmax", "probs"), array(work, "torch", "softmax", "probs")
    gd, td = array(work, "gsl", "softmax", "dlogits"), array(work, "torch", "softmax", "dlogits")
    return (f"max abs difference σ {max_abs(gp, tp):.2g}, ∂z {max_abs(gd, td):.2g}",
            "Contract ratio on the first %d rows (≤ 1 is within ops.md's 1e-4·|ref| + 1e-6): " % ROWS_CHECKED + "; ".join(lines))


def check_collision(work, inputs):
    n = np.load(os.path.join(inputs, "z.npy"), mmap_mode="r").shape[0]
    z = np.load(os.path.join(inputs, "z.npy"), mmap_mode="r")[:ROWS_CHECKED].astype(np.float64)
    y = np.load(os.path.join(inputs, "y.npy"), mmap_mode="r")[:ROWS_CHECKED].astype(np.float64)
    sigma = softmax64(z)
    d = (sigma * y).sum(axis=1, keepdims=True)
    ref_dz = (sigma - sigma * y / d) / n
    ref_dy = -sigma / (n * d)
    lines = []
    for side in ("gsl", "torch"):
        dz = array(work, side, "collision_ce", "dlogits")[:ROWS_CHECKED]
        dy = array(work, side, "collision_ce", "dtargets")[:ROWS_CHECKED]
        lines.append(f"{side}: ∂z {contract_ratio(dz, ref_dz):.2g}, ∂y {contract_ratio(dy, ref_dy):.2g}")
    gl, tl = float(array(work, "gsl", "collision_ce", "loss")), float(array(work, "torch", "collision_ce", "loss"))
    return (f"loss {gl:.7g} vs {tl:.7g} (relative difference {abs(gl - tl) / abs(tl):.2g}); max abs difference ∂z "
            f"{max_abs(array(work, 'gsl', 'collision_ce', 'dlogits'), array(work, 'torch', 'collision_ce', 'dlogits')):.2g}, ∂y "
            f"{max_abs(array(work, 'gsl', 'collision_ce', 'dtargets'), array(work, 'torch', 'collision_ce', 'dtargets')):.2g}",
            "Contract ratio on the first %d rows: " % ROWS_CHECKED + "; ".join(lines))


def check_sela(work, inputs):
    gl, tl = array(work, "gsl", "sela_sinkhorn", "labels"), array(work, "torch", "sela_sinkhorn", "labels")
    differ = np.flatnonzero(gl != tl)
    note = ""
    if differ.size:
        # A differing label is acceptable only at a near tie: the top two of lambda z + log r within 1e-5 relative.
        z = np.load(os.path.join(inputs, "z.npy"), mmap_mode="r")
        log_r = array(work, "gsl", "sela_sinkhorn", "logr").astype(np.float64).reshape(-1)
        ties = 0
        for i in differ:
            score = 25.0 * z[i].astype(np.float64) + log_r
            top = np.sort(score)[-2:]
            ties += abs(top[1] - top[0]) <= 1e-5 * abs(top[1])
        note = f"; {ties} of the {differ.size} differing rows are near ties (top two within 1e-5 relative)"
    gr, tr = array(work, "gsl", "sela_sinkhorn", "logr"), array(work, "torch", "sela_sinkhorn", "logr")
    gc, tc = array(work, "gsl", "sela_sinkhorn", "logc"), array(work, "torch", "sela_sinkhorn", "logc")
    gi, ti = load(work, "gsl", "sela_sinkhorn").get("iterations"), load(work, "torch", "sela_sinkhorn").get("iterations")
    identical = "identical" if differ.size == 0 else f"{differ.size} of {gl.size} differ"
    return (f"labels {identical}{note}; iterations {gi} and {ti}; max abs difference log r {max_abs(gr.reshape(-1), tr):.2g}, "
            f"log c {max_abs(gc.reshape(-1), tc):.2g}",
            identical)


def swav64(s, epsilon=0.05, iters=3):
    q = np.exp((s.astype(np.float64) - s.max()) / epsilon)
    q /= q.sum()
    b, k = q.shape
    for _ in range(iters):
        q /= q.sum(axis=0, keepdims=True) * k
        q /= q.sum(axis=1, keepdims=True) * b
    return q * b


def check_swav(work, inputs):
    s = np.load(os.path.join(inputs, "s.npy"))
    ref = swav64(s)
    gq, tq = array(work, "gsl", "swav_sinkhorn", "codes"), array(work, "torch", "swav_sinkhorn", "codes")
    same = int(np.sum(gq.argmax(axis=1) == tq.argmax(axis=1)))
    labels = "identical" if same == gq.shape[0] else f"{gq.shape[0] - same} of {gq.shape[0]} differ"
    return (f"argmax labels {labels}; max abs difference {max_abs(gq, tq):.2g}; contract ratio against float64: "
            f"gsl {contract_ratio(gq, ref):.2g}, torch {contract_ratio(tq, ref):.2g}",
            labels)


WORKLOADS = [
    ("softmax", "Softmax forward + backward", "100000×1000", "torch.softmax + autograd backward with upstream g", "Softmax.Forward + Softmax.Backward"),
    ("collision_ce", "Collision CE forward + backward", "100000×1000", "logsumexp(z) − logsumexp(z + ln y), mean, autograd (∂z and ∂y)", "CollisionCrossEntropy.Compute (loss, ∂z, ∂y)"),
    ("sela_sinkhorn", "SeLa Sinkhorn, log domain, λ = 25, 30 iterations", "100000×1000", "ops.md §5 loop with torch.logsumexp (checkEvery 10)", "Sinkhorn.SeLa (MaxIterations 30, tol 1e-12)"),
    ("swav_sinkhorn", "SwAV Sinkhorn, ε = 0.05, 3 iterations", "4096×3000", "SwAV's code: exp, then row/column normalisation in place", "Sinkhorn.Swav"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--dotnet", default="unknown", help="dotnet --version")
    parser.add_argument("--commit", default="unknown")
    args = parser.parse_args()
    inputs = os.path.join(args.work, "inputs")
    checks = {"softmax": check_softmax, "collision_ce": check_collision, "sela_sinkhorn": check_sela, "swav_sinkhorn": check_swav}

    m = machine()
    rows, details, speedups = [], [], []
    for key, title, size, torch_what, gsl_what in WORKLOADS:
        g, t = load(args.work, "gsl", key), load(args.work, "torch", key)
        speedup = t["median_s"] / g["median_s"]
        speedups.append((title, speedup))
        agreement, extra = checks[key](args.work, inputs)
        rows.append(f"| {title} | {size} | {t['median_s']:.3f} | {g['median_s']:.3f} | **{speedup:.1f}×** | "
                    f"{g.get('load_before', '?')} / {t.get('load_before', '?')} |")
        details.append(f"- **{title}** ({size}). PyTorch: {torch_what}. GpuSelfLabel: {gsl_what}. "
                       f"Runs: {len(g['times_s'])} timed after warm-up on each side (min {g['min_s']:.3f} s / {t['min_s']:.3f} s). "
                       f"Agreement: {agreement}. {extra if extra not in ('identical',) else ''}".rstrip() )

    target = all(s >= 2 for _, s in speedups)
    loads = []
    for key, *_ in WORKLOADS:
        for side in ("gsl", "torch"):
            value = load(args.work, side, key).get("load_before")
            if isinstance(value, (int, float)):
                loads.append(value)
    busy = loads and max(loads) > 1.25 * (m["cores"] or 1)
    load_note = (f"The machine was busy while these ran (1-minute load average up to {max(loads):.1f} on {m['cores']} cores, "
                 "from other jobs): both sides were slowed and the ratios are less certain than the times suggest; "
                 "workloads alternate between the two sides so that each pair saw about the same load." if busy else
                 f"The machine was quiet while these ran (1-minute load average at most {max(loads):.1f}).") if loads else ""
    lines = [
        "# Side by side: GpuSelfLabel (CPU backend) and PyTorch (CPU)",
        "",
        f"Reproduce with one command from the repository root: `bash bench/side-by-side.sh` (this file is its output; "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {args.commit}).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores visible; memory {m['memory']}; {m['os']}, Linux {m['kernel']}",
        f"- Threads: {args.threads} on both sides (torch.set_num_threads({args.threads}); DOTNET_PROCESSOR_COUNT={args.threads})",
        f"- Versions: .NET SDK {args.dotnet}; Python {platform.python_version()}, PyTorch {torch.__version__} (Debian python3-torch, CPU), NumPy {np.__version__}",
        "- GPU: none on this machine. No GPU figure in this file was measured; `gsl bench --backend cuda` "
        "measures the copy bandwidth and every kernel's fraction of it as soon as a device exists.",
        "",
        "## Times (median seconds, lower is better)",
        "",
        "Same seeded inputs (bench/pytorch/make_inputs.py) on both sides; inputs are loaded and outputs saved outside "
        "the clock; GpuSelfLabel is timed through its public API, argument validation included. Speedup = PyTorch ÷ GpuSelfLabel. "
        "The last column is the 1-minute load average when each side's runs began (the machine may be shared).",
        "",
        "| Workload | N×K | PyTorch (s) | GpuSelfLabel (s) | Speedup | load avg gsl / torch |",
        "|---|---|---:|---:|---:|---|",
        *rows,
        "",
        f"Target (at least 2× on each): {'met' if target else 'not met'} — "
        + ", ".join(f"{title.split(',')[0]} {s:.1f}×" for title, s in speedups) + ".",
        "",
        load_note,
        "",
        "## What was run and how the results agree",
        "",
        *details,
        "",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
