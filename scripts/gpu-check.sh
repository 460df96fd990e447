#!/usr/bin/env bash
# The GPU proof in one prepared command, for a machine with a GPU and no .NET.
#
#   Here (with .NET):         bash scripts/gpu-check.sh build
#       publishes the trimmed self-contained linux-x64 gsl into publish/gsl-linux-x64/ (ignored by git:
#       name it in the run's carry list; it must stay under the 64 MiB that travel).
#   Dry run here:             bash scripts/gpu-check.sh dry-run
#       the same steps on the OpenCL backend (PoCL) and CPU torch at small sizes, so that only the
#       device is new on the GPU machine; results in ${OUT:-/tmp/gsl-gpu-check-dry}.
#   On the GPU machine:       bash scripts/gpu-check.sh run
#       from the repository root, with $OUT a folder for results. Steps, each under its own timeout,
#       all within 8 minutes: gsl devices; gsl check --backend cuda; gsl bench --backend cuda at
#       65536x3000 (every op); the ImageNet-scale SeLa (gsl sinkhorn --n 1281167 --k 3000 --dtype
#       bfloat16); the side-by-side against PyTorch CUDA (bench/pytorch/device_side_by_side.py); check
#       and bench again with GSL_CUDA_KERNELS=ilgpu (the kernels ILGPU compiled from C#, compared op by
#       op with NVRTC's in gpu-check.md); then 10 heads at N = 128000 if time is left. Writes into $OUT
#       (at most 8 files come back):
#         gpu-check.md    every table and the goals, met or missed (for bench/results/*-cuda.md)
#         gpu-check.json  every step's JSON output in one object
#         gpu-check.log   every step's command, exit code, seconds and stderr
#         roofline-cuda.svg
#
# Environment: GSL_GPU_CHECK_BACKEND (cuda; opencl or cpu for a dry run), GSL (the gsl binary, default
# publish/gsl-linux-x64/gsl), PYTHON (python3 with torch), TORCH_DEVICE (cuda; cpu in a dry run),
# GSL_GPU_CHECK_BUDGET (seconds for all steps, default 450).
# Exit status: 0 when gsl check passed and every step ran; the goals are reported, not enforced.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-run}"
publish="$root/publish/gsl-linux-x64"

build() {
    # As scripts/test.sh's trimmed_publish_check does it (built apart, so the dev tree is not re-restored).
    local artifacts
    artifacts=$(mktemp -d)
    rm -rf "$publish"
    dotnet publish src/GpuSelfLabel.Cli -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true \
        -p:RunAnalyzers=false -p:GenerateDocumentationFile=false -p:DebugType=none \
        --artifacts-path "$artifacts" --nologo -o "$publish" || { rm -rf "$artifacts"; return 1; }
    rm -rf "$artifacts"
    local mib
    mib=$(du -sm "$publish" | cut -f1)
    echo "gpu-check: built $publish/gsl ($mib MiB)"
    if [ "$mib" -ge 60 ]; then
        echo "gpu-check: the publish is $mib MiB; with the tree it must stay under 64 MiB to travel" >&2
        return 1
    fi
    echo "gpu-check: on the GPU machine run 'bash scripts/gpu-check.sh run' with carry [\"publish/gsl-linux-x64\"]"
}

case "$mode" in
    build) build; exit $? ;;
    dry-run)
        export GSL_GPU_CHECK_BACKEND="${GSL_GPU_CHECK_BACKEND:-opencl}" TORCH_DEVICE="${TORCH_DEVICE:-cpu}" GSL_GPU_CHECK_DRY=1
        export OUT="${OUT:-/tmp/gsl-gpu-check-dry}"
        # Debian's python3-torch and python3-numpy live in the system Python: installed here when missing
        # (as root with apt-get), so the side-by-side step is tried on a fresh machine too.
        export PYTHON="${PYTHON:-/usr/bin/python3}"
        if ! "$PYTHON" -c "import torch, numpy" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "gpu-check: installing python3-torch python3-numpy for the side-by-side step"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null \
                || echo "gpu-check: apt-get install python3-torch python3-numpy failed; the side-by-side step will fail" >&2
        fi
        [ -x "$publish/gsl" ] || build || exit 1
        ;;
    run) ;;
    *) echo "usage: bash scripts/gpu-check.sh build|dry-run|run" >&2; exit 2 ;;
esac

backend="${GSL_GPU_CHECK_BACKEND:-cuda}"
device="${TORCH_DEVICE:-cuda}"
gsl="${GSL:-$publish/gsl}"
# The GPU machine's python3 holds PyTorch; its venv is named in case PATH leads elsewhere.
python="${PYTHON:-python3}"
if [ -z "${PYTHON:-}" ] && ! python3 -c "import torch, numpy" >/dev/null 2>&1 && [ -x /opt/torch/.venv/bin/python3 ]; then
    python=/opt/torch/.venv/bin/python3
fi
out="${OUT:?set OUT to the folder for results}"
budget="${GSL_GPU_CHECK_BUDGET:-450}"
mkdir -p "$out"
raw=$(mktemp -d)
log="$out/gpu-check.log"
: >"$log"
start=$(date +%s)
export PYTHONDONTWRITEBYTECODE=1

if [ "${GSL_GPU_CHECK_DRY:-}" = 1 ]; then
    # Small sizes with every code path the full run takes (K off the group sizes, bfloat16, heads).
    check_sizes="1x2,7x3,33x257"; bench_size="2048x300"; bench_repeat=2; bench_mib=64
    sela_n=3000; sela_k=300; sela_iters=30; heads=3; heads_n=1000; side_n=2048; side_k=300; side_b=512
else
    check_sizes=""; bench_size="65536x3000"; bench_repeat=5; bench_mib=1024
    sela_n=1281167; sela_k=3000; sela_iters=1000; heads=10; heads_n=128000; side_n=65536; side_k=3000; side_b=4096
fi

if [ ! -x "$gsl" ]; then
    echo "gpu-check: no gsl at $gsl: run 'bash scripts/gpu-check.sh build' where .NET is, and carry publish/gsl-linux-x64" | tee -a "$log" >&2
    exit 1
fi

# step NAME SECONDS STDOUT-FILE COMMAND...: runs with a timeout that never passes the overall budget.
step() {
    local name="$1" limit="$2" stdout="$3"
    shift 3
    local left=$((budget - ($(date +%s) - start)))
    if [ "$left" -lt 20 ]; then
        echo "== $name: skipped, ${left}s of the budget left" | tee -a "$log"
        echo "skipped" >"$raw/$name.status"
        return 0
    fi
    [ "$limit" -gt "$left" ] && limit="$left"
    local t0 rc
    t0=$(date +%s%N)
    echo "== $name (limit ${limit}s): $*" | tee -a "$log"
    timeout "$limit" "$@" >"$stdout" 2>"$raw/$name.err"
    rc=$?
    local seconds
    seconds=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    tail -n 40 "$raw/$name.err" >>"$log"
    echo "== $name: exit $rc after ${seconds}s" | tee -a "$log"
    echo "$rc $seconds" >"$raw/$name.status"
    return 0
}

# The GPU machine has no .NET and its CUDA libraries may sit off the loader's path: the driver under a
# read-only mount, NVRTC inside Python's nvidia-* wheels. gsl tries the loader's names, then
# $CUDA_HOME, $CUDA_PATH and /usr/local/cuda; where none of those holds a library, the one PyTorch
# itself loads is named through GSL_CUDA_LIBRARY / GSL_NVRTC_LIBRARY (gsl tries that path first).
locate_cuda_libraries() {
    local cache
    cache=$(ldconfig -p 2>/dev/null)
    if [ -z "${GSL_CUDA_LIBRARY:-}" ] && ! grep -q 'libcuda\.so\.1 ' <<<"$cache"; then
        GSL_CUDA_LIBRARY=$("$python" -c '
import torch
torch.zeros(1, device="cuda")
for line in open("/proc/self/maps"):
    path = line.split()[-1]
    if "/libcuda.so" in path:
        print(path)
        break
' 2>>"$log")
        [ -n "$GSL_CUDA_LIBRARY" ] && export GSL_CUDA_LIBRARY && echo "gpu-check: GSL_CUDA_LIBRARY=$GSL_CUDA_LIBRARY (as PyTorch loads it)" | tee -a "$log"
    fi
    if [ -z "${GSL_NVRTC_LIBRARY:-}" ] && ! grep -qE 'libnvrtc\.so\.(13|12|11\.2) ' <<<"$cache" \
        && ! ls "${CUDA_HOME:-/usr/local/cuda}"/lib64/libnvrtc.so.* >/dev/null 2>&1; then
        use_python_nvrtc "the loader's path and ${CUDA_HOME:-/usr/local/cuda} hold none"
    fi
    return 0
}

# Names the NVRTC of Python's nvidia wheels (the one PyTorch's CUDA build comes with, so no newer than
# the driver it runs on) in GSL_NVRTC_LIBRARY, and its folder on the loader's path for the
# libnvrtc-builtins it opens when compiling.
use_python_nvrtc() {
    local found
    found=$("$python" -c '
import glob, os, sys
patterns = ["nvidia/cu13/lib/libnvrtc.so.*", "nvidia/cuda_nvrtc/lib/libnvrtc.so.*", "nvidia/cu12/lib/libnvrtc.so.*", "torch/lib/libnvrtc*.so*"]
found = [f for p in sys.path for pat in patterns for f in sorted(glob.glob(os.path.join(p, pat))) if "builtins" not in f and "alt" not in os.path.basename(f)]
print(found[0] if found else "")
' 2>>"$log")
    [ -n "$found" ] || { echo "gpu-check: no NVRTC among Python's packages either" | tee -a "$log"; return 1; }
    export GSL_NVRTC_LIBRARY="$found" LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "gpu-check: GSL_NVRTC_LIBRARY=$found (from Python's packages: $1)" | tee -a "$log"
}
[ "$backend" = cuda ] && locate_cuda_libraries

step devices 30 "$raw/devices.json" "$gsl" devices --json
# Where gsl could not use the NVRTC it found (newer than the driver, so its PTX would not load; or none
# loaded), devices' detail names GSL_NVRTC_LIBRARY; then PyTorch's own NVRTC is tried once, so that
# costs seconds, not the run.
if [ "$backend" = cuda ] && [ -z "${GSL_NVRTC_LIBRARY:-}" ] && grep -q 'GSL_NVRTC_LIBRARY' "$raw/devices.json" 2>/dev/null \
    && use_python_nvrtc "gsl devices could not use the NVRTC it found"; then
    step devices 30 "$raw/devices.json" "$gsl" devices --json
fi
cat "$raw/devices.json" | tee -a "$log"
step check 150 "$raw/check.json" env GSL_CUDA_KERNELS=nvrtc "$gsl" check --backend "$backend" --json ${check_sizes:+--sizes "$check_sizes"}
step bench 150 "$raw/bench.json" env GSL_CUDA_KERNELS=nvrtc "$gsl" bench --backend "$backend" --sizes "$bench_size" --repeat "$bench_repeat" --bandwidth-mib "$bench_mib" --json --svg "$out/roofline-$backend.svg"
step sinkhorn 120 "$raw/sinkhorn.json" "$gsl" sinkhorn --backend "$backend" --n "$sela_n" --k "$sela_k" --dtype bfloat16 --max-iters "$sela_iters" --json --quiet
step side-by-side 150 "$raw/side-by-side.txt" "$python" bench/pytorch/device_side_by_side.py --gsl "$gsl" --backend "$backend" \
    --device "$device" --bench-json "$raw/bench.json" --n "$side_n" --k "$side_k" --swav-b "$side_b" --work "$raw/work" --out "$raw"
if [ "$backend" = cuda ]; then
    # After the NVRTC figures and the ImageNet solve, so a short budget loses the comparison first: the
    # same check and bench with the kernels ILGPU compiled from C# (kernels/ilgpu/; NVRTC for the rest).
    step check-ilgpu 120 "$raw/check-ilgpu.json" env GSL_CUDA_KERNELS=ilgpu "$gsl" check --backend cuda --json ${check_sizes:+--sizes "$check_sizes"}
    step bench-ilgpu 120 "$raw/bench-ilgpu.json" env GSL_CUDA_KERNELS=ilgpu "$gsl" bench --backend cuda --sizes "$bench_size" --repeat "$bench_repeat" --bandwidth-mib "$bench_mib" --json
fi
step sinkhorn-heads 120 "$raw/sinkhorn-heads.json" "$gsl" sinkhorn --backend "$backend" --heads "$heads" --n "$heads_n" --k "$sela_k" --dtype bfloat16 --max-iters "$sela_iters" --json --quiet
rm -rf "$raw/work"

"$python" - "$raw" "$out" "$backend" "$bench_size" "$sela_n" "$sela_k" <<'PY'
import json, os, sys
raw, out, backend, bench_size, sela_n, sela_k = sys.argv[1:]
def load(name):
    path = os.path.join(raw, name)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
def status(name):
    try:
        parts = open(os.path.join(raw, name + ".status")).read().split()
        return {"exit": None if parts[0] == "skipped" else int(parts[0]), "seconds": float(parts[1]) if len(parts) > 1 else None}
    except OSError:
        return {"exit": None, "seconds": None}
steps = ["devices", "check", "bench", "check-ilgpu", "bench-ilgpu", "sinkhorn", "side-by-side", "sinkhorn-heads"]
data = {s: load(s + ".json") for s in ["devices", "check", "bench", "check-ilgpu", "bench-ilgpu", "sinkhorn", "sinkhorn-heads", "side-by-side"]}
data["steps"] = {s: status(s) for s in steps}
md = [f"# GPU check: {backend}", ""]
dev = data["devices"]
if dev:
    md += ["## gsl devices", ""] + [f"- {b['name']}: {'available' if b['available'] else 'unavailable'} — {b['detail']}" for b in dev["backends"]] + [""]
md += ["## Steps", "", "| step | exit | seconds |", "|---|---:|---:|"]
md += [f"| {s} | {v['exit'] if v['exit'] is not None else 'skipped/none'} | {v['seconds'] or '-'} |" for s, v in data["steps"].items()] + [""]
goals = []
check = data["check"]
if check:
    md += [f"## gsl check --backend {backend}: {check['passed']} passed, {check['failed']} failed", "",
           "| op | shape | max error | of allowed | ok | ms |", "|---|---|---:|---:|---|---:|"]
    for c in check["cases"]:
        oa = "-" if c["of_allowed"] is None else f"{100 * c['of_allowed']:.1f}%"
        me = "-" if c["max_error"] is None else f"{c['max_error']:.3g}"
        ms = "-" if c["ms"] is None else f"{c['ms']:.1f}"
        md.append(f"| {c['op']} | {c['shape']} | {me} | {oa} | {'pass' if c['ok'] else 'FAIL: ' + (c['failure'] or '')} | {ms} |")
    md.append("")
bench = data["bench"]
if bench:
    bw = bench["bandwidth"]["gb_per_s"]
    md += [f"## gsl bench {bench_size} on {bench['device']}: copy {bw:.1f} GB/s", "",
           "| op | scope | median ms | GB/s | of copy |", "|---|---|---:|---:|---:|"]
    for r in bench["results"]:
        if r["error"]:
            md.append(f"| {r['op']} | {r['scope']} | - | - | failed: {r['error']} |")
            continue
        md.append(f"| {r['op']} | {r['scope']} | {r['median_s'] * 1e3:.3f} | {r['gb_per_s']:.1f} | {100 * r['fraction_of_bandwidth']:.0f}% |")
        if r["op"] in ("softmax", "log-softmax", "softmax-backward", "collision-ce"):
            goals.append((f"{r['op']} at {bench_size} ≥ 85% of copy bandwidth", f"{100 * r['fraction_of_bandwidth']:.0f}%", r["fraction_of_bandwidth"] >= 0.85))
    md.append("")
if data["check-ilgpu"]:
    c = data["check-ilgpu"]
    md += [f"## gsl check --backend cuda with GSL_CUDA_KERNELS=ilgpu: {c['passed']} passed, {c['failed']} failed", ""]
    md += [f"- FAIL {x['op']} {x['shape']}: {x['failure']}" for x in c["cases"] if not x["ok"]] + [""]
if bench and data["bench-ilgpu"]:
    nv = {(r["op"], r["scope"]): r for r in bench["results"] if not r["error"]}
    md += [f"## NVRTC vs ILGPU kernels, gsl bench {bench_size}", "", "| op | scope | nvrtc ms | ilgpu ms | ilgpu/nvrtc |", "|---|---|---:|---:|---:|"]
    for r in data["bench-ilgpu"]["results"]:
        n = nv.get((r["op"], r["scope"]))
        if r["error"] or not n:
            md.append(f"| {r['op']} | {r['scope']} | {n['median_s'] * 1e3 if n else '-'} | - | {r['error'] or 'no nvrtc row'} |")
            continue
        md.append(f"| {r['op']} | {r['scope']} | {n['median_s'] * 1e3:.3f} | {r['median_s'] * 1e3:.3f} | {r['median_s'] / n['median_s']:.2f} |")
    md.append("")
for name in ("sinkhorn", "sinkhorn-heads"):
    s = data[name]
    if not s:
        continue
    read_s = s["rows"] * s["columns"] * s["heads"] * 2 / (bench["bandwidth"]["gb_per_s"] * 1e9) if bench else None
    md += [f"## gsl {name}: {s['heads']}×{s['rows']}×{s['columns']} {s['dtype']} on {s['backend']}", "",
           f"- input: {s['input']}", f"- plan: {json.dumps(s['plan'])}", f"- iterations: {s['iterations']}",
           f"- seconds per iteration: {s['seconds_per_iteration']:.4f}" + (f" (one read of the matrix at copy bandwidth: {read_s:.4f} s, ratio {s['seconds_per_iteration'] / read_s:.2f})" if read_s else ""),
           f"- solve: {s['solve_seconds']:.2f} s, total {s['total_seconds']:.2f} s", ""]
    if name == "sinkhorn" and s["heads"] == 1:
        if read_s:
            goals.append((f"one SeLa iteration at {sela_n}×{sela_k} bfloat16 ≤ 1.25× one read", f"{s['seconds_per_iteration'] / read_s:.2f}×", s["seconds_per_iteration"] <= 1.25 * read_s))
        goals.append((f"SeLa solve at {sela_n}×{sela_k} < 10 s", f"{s['solve_seconds']:.2f} s", s["solve_seconds"] < 10))
side = data["side-by-side"]
if side:
    md += [f"## Side by side with PyTorch ({side['torch']}, {side['device']} {side['gpu'] or ''})", "",
           "| workload | shape | gsl ms | torch ms | speed-up | agreement | note |", "|---|---|---:|---:|---:|---|---|"]
    for r in side["rows"]:
        g = f"{r['gsl_s'] * 1e3:.3f}" if r["gsl_s"] else "-"
        sp = f"{r['speedup']:.2f}×" if r["speedup"] else "-"
        md.append(f"| {r['workload']} | {r['shape']} | {g} | {r['torch_s'] * 1e3:.3f} | {sp} | `{json.dumps(r['agreement'])}` | {r['note']} |")
        if r["goal_speedup"] is not None and r["speedup"] is not None:
            goals.append((f"{r['workload']} ≥ {r['goal_speedup']}× PyTorch", f"{r['speedup']:.2f}×", r["meets_goal"]))
    md.append("")
md += ["## Goals (benchmarks, reported not enforced)", "", "| goal | measured | met |", "|---|---:|---|"]
md += [f"| {g} | {m} | {'yes' if ok else 'NO'} |" for g, m, ok in goals] + [""]
data["goals"] = [{"goal": g, "measured": m, "met": ok} for g, m, ok in goals]
with open(os.path.join(out, "gpu-check.md"), "w") as f:
    f.write("\n".join(md))
with open(os.path.join(out, "gpu-check.json"), "w") as f:
    json.dump(data, f, indent=1)
print("\n".join(md))
PY
report=$?

check_status=$(cut -d' ' -f1 "$raw/check.status" 2>/dev/null || echo none)
failed_steps=$(cat "$raw"/*.status 2>/dev/null | awk '$1 != 0' | wc -l)
rm -rf "$raw"
echo "gpu-check: $(($(date +%s) - start)) s; results in $out: $(ls "$out" | tr '\n' ' ')"
[ "$check_status" = 0 ] && [ "$failed_steps" = 0 ] && [ "$report" = 0 ]
