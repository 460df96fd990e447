#!/usr/bin/env bash
# `gsl bench` on one backend, kept: bench/results/NAME.{json,svg,md}. The Markdown adds the machine to
# the command's own table; the JSON is the command's --json output, unchanged.
#
#   bash bench/roofline.sh [BACKEND [SIZES [OPS [NAME]]]]
#
# Defaults: cpu, gsl bench's default sizes, every operation, NAME = roofline-BACKEND. The GPU targets:
#   bash bench/roofline.sh cuda 65536x3000 copy,softmax,collision-ce,sinkhorn roofline-cuda
#   bash bench/roofline.sh cuda 1281167x3000 copy,sinkhorn roofline-cuda-imagenet
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
backend="${1:-cpu}"
sizes="${2:-}"
ops="${3:-}"
name="${4:-roofline-$backend}"
results="$root/bench/results"
cd "$root"
dotnet build -c Release src/GpuSelfLabel.Cli -nologo -v quiet
gsl=(dotnet "$root/src/GpuSelfLabel.Cli/bin/Release/net10.0/gsl.dll")
args=(bench --backend "$backend" --json --svg "$results/$name.svg")
if [ -n "$sizes" ]; then args+=(--sizes "$sizes"); fi
if [ -n "$ops" ]; then args+=(--ops "$ops"); fi
load_before="$(cut -d' ' -f1 /proc/loadavg)"
"${gsl[@]}" "${args[@]}" > "$results/$name.json"
load_after="$(cut -d' ' -f1 /proc/loadavg)"

/usr/bin/python3 - "$results/$name" "$load_before" "$load_after" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$*" <<'PY'
import json, os, platform, subprocess, sys
stem, before, after, commit, arguments = sys.argv[1:]
source, target, base = stem + ".json", stem + ".md", os.path.basename(stem)
report = json.load(open(source))
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name:")), "unknown")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:")) / 1024 / 1024
bw = report["bandwidth"]
name = report["backend"]
lines = [
    f"# gsl bench: {name} ({report['device']})",
    "",
    "Made by `" + " ".join(["bash bench/roofline.sh"] + ([arguments] if arguments else [])) + f"` (commit {commit}): `gsl bench --backend {name} --json --svg` "
    f"with the defaults (warm-up: at least {report['warmup']} call and {report['warmup_seconds']:g} s of calls; median of {report['repeat']}). Chart: [{base}.svg]({base}.svg); "
    f"raw figures: [{base}.json]({base}.json).",
    "",
    f"Machine: {cpu}, {os.cpu_count()} cores, {mem:.1f} GiB, Linux {platform.release()}; 1-minute load average {before} before, {after} after "
    "(the machine is shared; a busy one lowers every figure, the copy included).",
    "",
    f"Bandwidth: **{bw['gb_per_s']:.1f} GB/s**, {bw['method']} of {bw['buffer_bytes'] / 2**20:.0f} MiB (read + write counted, median {bw['median_s'] * 1e3:.2f} ms).",
    "",
    "| operation | scope | N×K | bytes moved (model) | median ms | GB/s | of copy |",
    "|---|---|---:|---:|---:|---:|---:|",
]
for r in report["results"]:
    if r["error"]:
        lines.append(f"| {r['op']} | {r['scope']} | {r['rows']}×{r['columns']} | {r['bytes']:,} | failed: {r['error']} | | |")
    else:
        lines.append(f"| {r['op']} | {r['scope']} | {r['rows']}×{r['columns']} | {r['bytes']:,} | {r['median_s'] * 1e3:.2f} | {r['gb_per_s']:.2f} | {r['fraction_of_bandwidth'] * 100:.0f}% |")
lines += ["", "Bytes model (minimal traffic: each input read once, each output written once; E = N·K):", ""]
seen = []
for r in report["results"]:
    if r["op"] not in seen:
        seen.append(r["op"])
        lines.append(f"- `{r['op']}` ({r['scope']}): {r['bytes_model']}")
lines += ["", "Scope `kernel` is the backend pass alone on preallocated outputs; `operation` is the public call, validation and allocation included.", ""]
open(target, "w").write("\n".join(lines))
print(f"wrote {target}")
PY
