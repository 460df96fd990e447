#!/usr/bin/env bash
# Installs what the tests need (PoCL for the OpenCL backend, NVRTC for the CUDA compile tests),
# builds, runs every test, checks the trimmed self-contained gsl (one more test in the count), and
# ends with the plain line "N passed, N failed, N skipped".
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

# ptxas checks the PTX that ILGPU compiled from the C# kernels (kernels/ilgpu/) offline, for sm_90. It comes
# from Debian non-free's nvidia-cuda-toolkit (CUDA 11.8; ptxas needs only libc): the package is downloaded
# and ptxas alone unpacked into a cache, not installed (the toolkit would pull in hundreds of MB).
fetch_ptxas() {
    if [ -n "${GSL_PTXAS:-}" ]; then
        return
    fi
    local cache="${XDG_CACHE_HOME:-$HOME/.cache}/gpuselflabel/ptxas-11.8"
    if [ ! -x "$cache/usr/bin/ptxas" ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
        local download
        download=$(mktemp -d)
        chmod 777 "$download"
        if ! (cd "$download" && apt-get download -qq nvidia-cuda-toolkit >/dev/null 2>&1); then
            [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1
            (cd "$download" && apt-get download -qq nvidia-cuda-toolkit >/dev/null 2>&1) || true
        fi
        local deb
        deb=$(ls "$download"/nvidia-cuda-toolkit_*.deb 2>/dev/null | head -n 1)
        if [ -n "$deb" ]; then
            mkdir -p "$cache"
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache" ./usr/bin/ptxas
        fi
        rm -rf "$download"
    fi
    if [ -x "$cache/usr/bin/ptxas" ]; then
        export GSL_PTXAS="$cache/usr/bin/ptxas"
    else
        echo "test.sh: no ptxas (apt-get download nvidia-cuda-toolkit failed); the ILGPU PTX check skips unless required" >&2
    fi
}

fetch_ptxas

# In CI the OpenCL tests (PoCL) and the NVRTC compile tests must run, never skip.
if [ "${CI:-}" = "true" ]; then
    export GSL_REQUIRE_BACKENDS="${GSL_REQUIRE_BACKENDS:-opencl,nvrtc}"
fi

# Writes a 2×3 float32 .npy (version 1.0, rows 0 1 2 and 2 1 0) to $1, without NumPy.
write_small_npy() {
    local header="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    # Magic (6) + version (2) + length (2) + header + newline: a multiple of 64 bytes.
    local pad=$(( (64 - (10 + ${#header} + 1) % 64) % 64 ))
    local length=$(( ${#header} + pad + 1 ))
    {
        printf '\x93NUMPY\x01\x00'
        printf "\\x$(printf %02x $((length % 256)))\\x$(printf %02x $((length / 256)))"
        printf '%s%*s\n' "$header" "$pad" ""
        # 0, 1, 2, 2, 1, 0 as little-endian float32.
        printf '\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40'
        printf '\x00\x00\x00\x40\x00\x00\x80\x3f\x00\x00\x00\x00'
    } > "$1"
}

# The gsl that travels to GPU machines is the trimmed self-contained publish. Trimming breaks what the
# untrimmed tests above cannot see (reflection: JSON, command-line binding, resources read by name),
# at publish time (IL2026 and friends, errors here) or only at run time; so publish it as
# documented and run it: gsl devices, gsl devices --json, and gsl op softmax on the CPU (and on
# OpenCL where that is available, which reads the kernel sources embedded in the assembly), then
# gsl check --backend opencl (required in CI).
trimmed_publish_check() {
    local work
    work=$(mktemp -d)
    local log="$work/log" gsl="$work/publish/gsl"
    # Why it failed goes to stderr; the caller counts one failed test.
    trimmed_failed() {
        cat "$log" >&2
        echo "test.sh: trimmed publish check failed: $1" >&2
        rm -rf "$work"
        return 1
    }
    # Built apart (--artifacts-path), so that restoring for linux-x64 does not make the next dotnet test
    # rebuild the tree. Analyzers, documentation and symbols are off for speed: the analyzers ran in the
    # build above, and ILLink itself reports trim problems (IL2xxx, IL3xxx) as errors.
    if ! timeout 300 dotnet publish src/GpuSelfLabel.Cli -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true \
        -p:RunAnalyzers=false -p:GenerateDocumentationFile=false -p:DebugType=none \
        --artifacts-path "$work/artifacts" --nologo -o "$work/publish" >"$log" 2>&1; then
        trimmed_failed "dotnet publish -p:PublishTrimmed=true (its output above)"
        return 1
    fi
    timeout 60 "$gsl" devices >"$log" 2>&1 || { trimmed_failed "gsl devices"; return 1; }
    local backends=(cpu)
    if grep -Eq '^opencl +available' "$log"; then
        backends+=(opencl)
    fi
    timeout 60 "$gsl" devices --json >"$log" 2>&1 && grep -q '^{"backends":\[{"name":"cpu","available":true,' "$log" \
        || { trimmed_failed "gsl devices --json"; return 1; }
    write_small_npy "$work/logits.npy"
    local backend
    for backend in "${backends[@]}"; do
        rm -rf "$work/out"
        timeout 60 "$gsl" op softmax --backend "$backend" --logits "$work/logits.npy" --out "$work/out" >"$log" 2>&1 \
            && [ -s "$work/out/probs.npy" ] \
            || { trimmed_failed "gsl op softmax --backend $backend"; return 1; }
    done
    # The self-test as a user runs it on a new machine, through the trimmed binary: every operation on
    # OpenCL (PoCL in CI) against the CPU within ops.md's contract; exit 0 only if every case passes.
    if [[ " ${backends[*]} " == *" opencl "* ]]; then
        timeout 300 "$gsl" check --backend opencl --sizes 1x2,7x3,33x257,64x3000 >"$log" 2>&1 \
            || { trimmed_failed "gsl check --backend opencl"; return 1; }
        grep -E '^[0-9]+ passed, 0 failed$' "$log"
    elif [ "${CI:-}" = "true" ]; then
        trimmed_failed "gsl check --backend opencl: no OpenCL device in CI"; return 1
    fi
    echo "test.sh: trimmed publish check passed ($(du -sm "$work/publish" | cut -f1) MiB; gsl op softmax on ${backends[*]}; gsl check on ${backends[*]:1})"
    rm -rf "$work"
}

# The two packages as a user gets them: pack GpuSelfLabel and GpuSelfLabel.TorchSharp (a version of
# their own, so no earlier check's copy in the NuGet cache stands in), check the metadata a package
# feed shows (licence, readme, repository, symbols), then restore both from that folder into a fresh
# console app outside the repository (scripts/package-check) and train one step with it.
package_check() {
    local work version cache
    work=$(mktemp -d)
    version="0.1.0-check.$(date +%s)"
    cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
    local log="$work/log"
    package_failed() {
        cat "$log" >&2
        echo "test.sh: package check failed: $1" >&2
        rm -rf "$work" "$cache/gpuselflabel/$version" "$cache/gpuselflabel.torchsharp/$version"
        return 1
    }
    local project id
    for project in src/GpuSelfLabel src/GpuSelfLabel.TorchSharp; do
        timeout 300 dotnet pack "$project" -c Release --no-build -p:PackageVersion="$version" -o "$work/feed" --nologo >"$log" 2>&1 \
            || { package_failed "dotnet pack $project"; return 1; }
    done
    for id in GpuSelfLabel GpuSelfLabel.TorchSharp; do
        [ -s "$work/feed/$id.$version.snupkg" ] || { package_failed "$id has no symbol package"; return 1; }
        python3 - "$work/feed/$id.$version.nupkg" "$id" >"$log" 2>&1 <<'PY' || { package_failed "$id package contents"; return 1; }
import sys, zipfile
package, name = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(package) as z:
    files = z.namelist()
    nuspec = z.read(name + ".nuspec").decode()
for need in ("README.md", "LICENSE", "lib/net10.0/" + name + ".dll", "lib/net10.0/" + name + ".xml"):
    assert need in files, f"{need} missing from {package}: {files}"
for need in ('<license type="expression">MIT</license>', "<readme>README.md</readme>", '<repository type="git"', "<description>"):
    assert need in nuspec, f"{need} missing from the nuspec:\n{nuspec}"
PY
    done
    mkdir "$work/app"
    cp scripts/package-check/Program.cs "$work/app/"
    sed "s/@VERSION@/$version/" scripts/package-check/package-check.csproj.in >"$work/app/package-check.csproj"
    cat >"$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local-check" value="$work/feed" />
  </packageSources>
</configuration>
XML
    (cd "$work/app" && timeout 600 dotnet run -c Release --nologo) >"$log" 2>&1 \
        || { package_failed "a fresh console app restoring both packages from the local feed and training one step"; return 1; }
    grep -h "package check:" "$log"
    rm -rf "$work" "$cache/gpuselflabel/$version" "$cache/gpuselflabel.torchsharp/$version"
}

log=$(mktemp)
set +e
dotnet test GpuSelfLabel.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# dotnet test prints "Passed!  - Failed: F, Passed: P, Skipped: S, ..." per test assembly; add them up.
read -r passed failed skipped < <(grep -E "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log" \
    | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' \
    | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d %d %d\n", p, f, s}')
rm -f "$log"
if [ $((passed + failed + skipped)) = 0 ]; then
    echo "0 passed, 1 failed, 0 skipped"
    echo "test.sh: no test results were found (build failure?)" >&2
    exit 1
fi

# One more test: the trimmed publish, after dotnet test so that a compile error shows there first.
if trimmed_publish_check; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    status=1
fi
# And one more: the CUDA backend's host side against the stand-in driver (scripts/fake-cuda), where
# gcc is there to build it; skipped otherwise.
if ! command -v gcc >/dev/null; then
    echo "test.sh: no gcc; the fake-CUDA check (scripts/fake-cuda/run-cuda-tests.sh) skips" >&2
    skipped=$((skipped + 1))
elif fake_log=$(mktemp) && timeout 600 bash scripts/fake-cuda/run-cuda-tests.sh >"$fake_log" 2>&1; then
    echo "test.sh: fake-CUDA check passed ($(grep -cE 'Passed! ' "$fake_log") runs: NVRTC's and ILGPU's kernels)"
    passed=$((passed + 1))
    rm -f "$fake_log"
else
    cat "$fake_log" >&2
    echo "test.sh: fake-CUDA check failed (scripts/fake-cuda/run-cuda-tests.sh, its output above)" >&2
    failed=$((failed + 1))
    status=1
    rm -f "$fake_log"
fi
# And one more: the packages, restored into a fresh app that trains a step.
if package_check; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
