#!/usr/bin/env bash
# The main job: builds crmxc and checks the north-star example.
# (Later work grows this into compile-and-run on the example's bundled data.)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCRMX_BUILD_TESTS=OFF -DCRMX_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target crmxc
"$BUILD_DIR/compiler/driver/crmxc" check examples/acme-salesforce-netsuite
echo "main: examples/acme-salesforce-netsuite checks clean"
