#!/usr/bin/env bash
# Whole-process time, load to save: the published gsl (Release) against a PyTorch script that loads
# the same .npy inputs, computes the same operation and saves the same outputs, as separate processes
# timed from outside (wall clock, median of GSL_BENCH_REPEAT runs, the two sides alternating so both
# see the same machine state). Operations: gsl op collision-ce (all four outputs) and gsl op sinkhorn
# (SeLa, exactly GSL_BENCH_SINKHORN_ITERS iterations: --tol 0 --max-iters ITERS). Checks that the
# outputs agree and writes bench/results/whole-process-cpu.md (or $1).
#
#   bash bench/whole-process.sh [REPORT.md]
#
# Environment: GSL_BENCH_DIR (scratch, default /tmp/gsl-whole-process, about 3 GB), GSL_BENCH_ROWS and
# GSL_BENCH_CLASSES (default 100000 × 1000), GSL_BENCH_THREADS (default: all cores; torch.set_num_threads
# and DOTNET_PROCESSOR_COUNT), GSL_BENCH_REPEAT (default 3), GSL_BENCH_SINKHORN_ITERS (default 10),
# PYTHON (default /usr/bin/python3, which has Debian's python3-torch and python3-numpy).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${GSL_BENCH_DIR:-/tmp/gsl-whole-process}"
rows="${GSL_BENCH_ROWS:-100000}"
classes="${GSL_BENCH_CLASSES:-1000}"
threads="${GSL_BENCH_THREADS:-$(nproc)}"
repeat="${GSL_BENCH_REPEAT:-3}"
iters="${GSL_BENCH_SINKHORN_ITERS:-10}"
python="${PYTHON:-/usr/bin/python3}"
report="${1:-$root/bench/results/whole-process-cpu.md}"
export PYTHONDONTWRITEBYTECODE=1

cd "$root"
dotnet publish src/GpuSelfLabel.Cli -c Release --nologo -v quiet -o "$work/gsl-publish"
gsl="$work/gsl-publish/gsl"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"

inputs="$work/inputs-${rows}x${classes}"
if [ ! -f "$inputs/y.npy" ]; then
    mkdir -p "$inputs"
    "$python" - "$inputs" "$rows" "$classes" <<'PY'
import sys
import numpy as np
out, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(20240601)
np.save(f"{out}/z.npy", (2.0 * rng.standard_normal((n, k), dtype=np.float32)).astype(np.float32))
y = rng.standard_normal((n, k), dtype=np.float32)
y -= y.max(axis=1, keepdims=True)
np.exp(y, out=y)
y /= y.sum(axis=1, keepdims=True)
np.save(f"{out}/y.npy", y)
PY
fi

# Runs "$@" once with its output in $out (emptied first), printing the wall-clock seconds.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times
for op in collision-ce sinkhorn; do
    case "$op" in
        collision-ce)
            gsl_args=(op collision-ce --logits "$inputs/z.npy" --targets "$inputs/y.npy" --backend cpu)
            torch_args=(collision-ce --logits "$inputs/z.npy" --targets "$inputs/y.npy") ;;
        sinkhorn)
            gsl_args=(op sinkhorn --logits "$inputs/z.npy" --tol 0 --max-iters "$iters" --backend cpu)
            torch_args=(sinkhorn --logits "$inputs/z.npy" --iters "$iters") ;;
    esac
    for side in gsl torch; do times[$op,$side]=""; done
    for ((run = 1; run <= repeat; run++)); do
        rm -rf "$work/out-$op-gsl" "$work/out-$op-torch"
        times[$op,gsl]+=" $(DOTNET_PROCESSOR_COUNT="$threads" seconds "$gsl" "${gsl_args[@]}" --out "$work/out-$op-gsl")"
        times[$op,torch]+=" $(seconds "$python" bench/pytorch/whole_process.py "${torch_args[@]}" --threads "$threads" --out "$work/out-$op-torch")"
        echo "whole-process: $op run $run: gsl${times[$op,gsl]##* } s, torch${times[$op,torch]##* } s" >&2
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Agreement of the last run's outputs, one line per operation.
agreement=$("$python" - "$work" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
def pair(op, name):
    return np.load(f"{work}/out-{op}-gsl/{name}.npy"), np.load(f"{work}/out-{op}-torch/{name}.npy")
def maxdiff(op, name):
    a, b = pair(op, name)
    assert a.shape == b.shape, (op, name, a.shape, b.shape)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
ce = {name: maxdiff("collision-ce", name) for name in ("loss", "losses", "dlogits", "dtargets")}
labels = pair("sinkhorn", "labels")
same = float(np.mean(labels[0] == labels[1]))
sk = {name: maxdiff("sinkhorn", name) for name in ("logr", "logc")}
iters = pair("sinkhorn", "iterations")
ok = max(ce.values()) < 1e-3 and same > 0.999 and max(sk.values()) < 1e-2 and int(iters[0]) == int(iters[1])
print("| collision-ce | max abs difference: " + ", ".join(f"{k} {v:.2e}" for k, v in ce.items()) + " |")
print(f"| sinkhorn | labels equal on {100 * same:.3f} % of rows; max abs difference: logr {sk['logr']:.2e}, logc {sk['logc']:.2e}; iterations {int(iters[0])} and {int(iters[1])} |")
print("AGREE" if ok else "DISAGREE")
PY
)
verdict="${agreement##*$'\n'}"
agreement="${agreement%$'\n'*}"

row() {
    local op="$1" g t
    g=$(median ${times[$op,gsl]})
    t=$(median ${times[$op,torch]})
    printf '| %s | %s | %s | %s | %s | %s |\n' "$op" "$g" "$t" "$(awk -v g="$g" -v t="$t" 'BEGIN { printf "%.1f×", t / g }')" "${times[$op,gsl]# }" "${times[$op,torch]# }"
}

mkdir -p "$(dirname "$report")"
{
    echo "# Whole process on the CPU: gsl against a PyTorch script"
    echo
    echo "Each side is one process that loads the ${rows}×${classes} float32 .npy inputs, computes and"
    echo "saves the outputs as .npy; wall clock from outside, median of $repeat runs, the sides alternating."
    echo "Written by \`bash bench/whole-process.sh\`."
    echo
    echo "| operation | gsl (s) | PyTorch (s) | PyTorch / gsl | gsl runs (s) | PyTorch runs (s) |"
    echo "|---|---|---|---|---|---|"
    row collision-ce
    row sinkhorn
    echo
    echo "Outputs ($verdict):"
    echo
    echo "| operation | agreement |"
    echo "|---|---|"
    echo "$agreement"
    echo
    echo "- gsl: \`gsl op collision-ce --logits z.npy --targets y.npy --backend cpu --out DIR\` and"
    echo "  \`gsl op sinkhorn --logits z.npy --tol 0 --max-iters $iters --backend cpu --out DIR\`,"
    echo "  \`dotnet publish -c Release\` of commit $commit, .NET $(dotnet --version), DOTNET_PROCESSOR_COUNT=$threads"
    echo "- PyTorch: \`bench/pytorch/whole_process.py\` (np.load, autograd / the ops.md §5 loop, np.save), torch $("$python" -c 'import torch; print(torch.__version__)'), torch.set_num_threads($threads)"
    echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
    echo "- Load average (1, 5, 15 min): $load_before before, $load_after after (the machine is shared)"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
} > "$report"
cat "$report"
[ "$verdict" = AGREE ]
