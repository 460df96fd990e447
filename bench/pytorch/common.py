"""Timing and file helpers shared by the PyTorch side of the side-by-side benchmark."""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--inputs", required=True, help="directory written by make_inputs.py")
    parser.add_argument("--out", required=True, help="directory for outputs and timings")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (match the C# side)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    return args


def load(args, name):
    return torch.from_numpy(np.load(os.path.join(args.inputs, name + ".npy")))


WARMUP_SECONDS = 1.0


def measure(args, run):
    """At least args.warmup untimed runs and at least one second of them (the C# side's rule, which
    lets .NET finish compiling), then args.repeat timed runs; returns (last result, sorted seconds)."""
    args.load_before = round(os.getloadavg()[0], 2)
    result = None
    warmups = 0
    start = time.perf_counter()
    while warmups < args.warmup or time.perf_counter() - start < WARMUP_SECONDS:
        result = run()
        warmups += 1
    times = []
    for _ in range(args.repeat):
        result = None
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, sorted(times)


def save(args, workload, times, outputs, extra=None):
    for name, value in outputs.items():
        np.save(os.path.join(args.out, f"{workload}.{name}.npy"), value.detach().numpy() if torch.is_tensor(value) else np.asarray(value))
    record = {
        "workload": workload,
        "median_s": statistics.median(times),
        "min_s": times[0],
        "times_s": times,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_before": getattr(args, "load_before", None),
    }
    record.update(extra or {})
    with open(os.path.join(args.out, f"{workload}.json"), "w") as f:
        json.dump(record, f, indent=1)
    print(f"torch {workload}: median {record['median_s']:.4f} s over {len(times)} runs ({torch.get_num_threads()} threads)")
