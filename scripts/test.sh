#!/usr/bin/env bash
# Builds crmx with warnings as errors and runs every test suite (CTest).
# Usage: bash scripts/test.sh            (build dir: build/)
#        BUILD_DIR=out bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCRMX_WERROR=ON -DCRMX_BUILD_TESTS=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
