#!/usr/bin/env bash
# The side-by-side figures in one command: builds the Release runner, writes seeded inputs once
# (NumPy), times GpuSelfLabel's CPU backend and PyTorch's CPU on the same inputs with the same thread
# count, workload by workload (alternating, so both sides see the same machine state), compares the
# outputs and writes bench/results/side-by-side-cpu.md.
#
#   bash bench/side-by-side.sh [REPORT.md]
#
# Environment: GSL_BENCH_DIR (scratch, default /tmp/gsl-side-by-side, about 5 GB), GSL_BENCH_THREADS
# (default: all cores), GSL_BENCH_REPEAT (timed runs, default 5), GSL_BENCH_SELA_REPEAT (timed runs of
# the 30-iteration SeLa, default 3), GSL_BENCH_SWAV_REPEAT (timed runs of the SwAV step, default 25: one
# takes well under 0.1 s, so a few runs would leave its median to a shared machine's hiccups),
# PYTHON (default /usr/bin/python3, which has Debian's python3-torch).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${GSL_BENCH_DIR:-/tmp/gsl-side-by-side}"
threads="${GSL_BENCH_THREADS:-$(nproc)}"
repeat="${GSL_BENCH_REPEAT:-5}"
sela_repeat="${GSL_BENCH_SELA_REPEAT:-3}"
swav_repeat="${GSL_BENCH_SWAV_REPEAT:-25}"
python="${PYTHON:-/usr/bin/python3}"
export PYTHONDONTWRITEBYTECODE=1
report="${1:-$root/bench/results/side-by-side-cpu.md}"

cd "$root"
dotnet build -c Release bench/GpuSelfLabel.Bench -nologo -v quiet
runner="$root/bench/GpuSelfLabel.Bench/bin/Release/net10.0/GpuSelfLabel.Bench.dll"

mkdir -p "$work"
if [ ! -f "$work/inputs/s.npy" ]; then
    "$python" bench/pytorch/make_inputs.py --out "$work/inputs"
fi
rm -rf "$work/gsl" "$work/torch"

for workload in softmax collision_ce sela_sinkhorn swav_sinkhorn; do
    runs="$repeat"
    if [ "$workload" = sela_sinkhorn ]; then runs="$sela_repeat"; fi
    if [ "$workload" = swav_sinkhorn ]; then runs="$swav_repeat"; fi
    DOTNET_PROCESSOR_COUNT="$threads" dotnet "$runner" side-by-side --inputs "$work/inputs" --out "$work/gsl" \
        --workloads "$workload" --repeat "$runs" --warmup 1
    (cd bench/pytorch && "$python" "$workload.py" --inputs "$work/inputs" --out "$work/torch" \
        --threads "$threads" --repeat "$runs" --warmup 1)
done

"$python" bench/pytorch/compare.py --work "$work" --out "$report" --threads "$threads" \
    --dotnet "$(dotnet --version)" --commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
