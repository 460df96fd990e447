#!/usr/bin/env bash
# Installs what the tests need (PoCL for the OpenCL backend, NVRTC for the CUDA compile tests),
# builds, runs every test, and ends with the plain line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

install_test_dependencies() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "test.sh: not root or no apt-get; skipping package installation" >&2
        return
    fi
    local need=()
    dpkg -s pocl-opencl-icd >/dev/null 2>&1 || need+=(pocl-opencl-icd)
    dpkg -s ocl-icd-libopencl1 >/dev/null 2>&1 || need+=(ocl-icd-libopencl1)
    dpkg -s libnvrtc11.2 >/dev/null 2>&1 || need+=(libnvrtc11.2)
    # OpenBLAS: the clustering head's GEMM tests run against it (they skip without it).
    dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
    if [ ${#need[@]} -eq 0 ]; then
        return
    fi
    # libnvrtc11.2 lives in Debian's non-free component.
    if ! grep -rqs "non-free" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
            sed -i 's/^Components: main.*/Components: main contrib non-free non-free-firmware/' /etc/apt/sources.list.d/debian.sources
        else
            sed -i 's/ main$/ main contrib non-free non-free-firmware/' /etc/apt/sources.list
        fi
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

install_test_dependencies

# In CI the OpenCL tests (PoCL) and the NVRTC compile tests must run, never skip.
if [ "${CI:-}" = "true" ]; then
    export GSL_REQUIRE_BACKENDS="${GSL_REQUIRE_BACKENDS:-opencl,nvrtc}"
fi

log=$(mktemp)
set +e
dotnet test GpuSelfLabel.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# dotnet test prints "Passed!  - Failed: F, Passed: P, Skipped: S, ..." per test assembly; add them up.
summary=$(grep -E "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log" \
    | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' \
    | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}')
rm -f "$log"
if [ -z "$summary" ] || [ "$summary" = "0 passed, 0 failed, 0 skipped" ]; then
    echo "0 passed, 1 failed, 0 skipped"
    echo "test.sh: no test results were found (build failure?)" >&2
    exit 1
fi
echo "$summary"
exit "$status"
