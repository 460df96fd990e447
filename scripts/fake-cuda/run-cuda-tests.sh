#!/usr/bin/env bash
# Runs the CUDA-bound tests against fake_libcuda.c (host memory posing as device memory) with the
# real NVRTC, to check the CUDA backend's host side where there is no GPU. Needs gcc and libnvrtc.
# scripts/test.sh runs it as one more test where gcc is present, so the stand-in cannot fall behind
# the kernels it imitates unnoticed.
# The stand-in runs only the softmax and validation kernels (as plain C), so only the tests that
# launch those run here; they exercise every host-side path (context, module cache, marshalling,
# copies, wrapped pointers). The other families' CUDA kernels run only on a real GPU. The tests run
# twice: with NVRTC's kernels, then with GSL_CUDA_KERNELS=ilgpu (softmax from ILGPU's embedded PTX, its
# arguments packed as ILGPU's 16-byte views; validation still from NVRTC).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -shared -fPIC -O1 -Wall -o "$work/libcuda.so.1" scripts/fake-cuda/fake_libcuda.c -lm -lpthread
# Release, as scripts/test.sh builds it (which runs this script as one more test): no second build.
dotnet build tests/GpuSelfLabel.Tests -c Release --nologo -v q
for kernels in nvrtc ilgpu; do
    XDG_CACHE_HOME="$work/cache" GSL_CUDA_LIBRARY="$work/libcuda.so.1" GSL_REQUIRE_BACKENDS=cuda,nvrtc GSL_CUDA_KERNELS=$kernels \
        dotnet test tests/GpuSelfLabel.Tests -c Release --no-build --nologo \
        --filter "FullyQualifiedName~CudaSoftmax|FullyQualifiedName~CudaCrossBackendSoftmax|FullyQualifiedName~CudaCrossBackendValidation|FullyQualifiedName~CudaOpTests|FullyQualifiedName~BackendAvailability|FullyQualifiedName~Nvrtc"
done
