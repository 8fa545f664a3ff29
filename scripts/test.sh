#!/usr/bin/env bash
# Builds crmx with warnings as errors and runs every test suite (CTest); then, in a second
# build dir with -DCRMX_JIT=ON, builds only what the optional LLVM 14 JIT's tests need and runs
# them (ctest label `jit`: test_jit, the CEL conformance tier and the spec tests with
# --engine jit, crmx-run with --engine jit against --engine vm; docs/cli.md, "The JIT").
# Usage: bash scripts/test.sh            (build dirs: build/ and build-jit/)
#        BUILD_DIR=out bash scripts/test.sh   (out/ and out-jit/)
#        CRMX_TEST_JIT=0 bash scripts/test.sh (without the JIT build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCRMX_WERROR=ON -DCRMX_BUILD_TESTS=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
if [ "${CRMX_TEST_JIT:-1}" != "0" ]; then
  JIT_DIR="${BUILD_DIR}-jit"
  cmake -S . -B "$JIT_DIR" -G Ninja -DCRMX_WERROR=ON -DCRMX_BUILD_TESTS=ON -DCRMX_JIT=ON
  cmake --build "$JIT_DIR" -j "$JOBS" --target crmxc crmx-run test_jit
  ctest --test-dir "$JIT_DIR" --output-on-failure -j "$JOBS" -L jit
fi
