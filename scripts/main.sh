#!/usr/bin/env bash
# The main job: builds crmxc and crmx-run, runs the north-star example's spec tests
# (`crmxc test`), compiles it to a plan, and runs it on the example's bundled Salesforce export
# into a SQLite ERP database; prints the summary.
# Outputs (fresh on every run) in $BUILD_DIR/north-star: acme.plan.json, crm/ (a copy of the
# export: order_status_back writes the ERP status back to it), erp.db, erp.crmx-state.db and
# queues/ (the run's queues as JSON Lines: quality, held, waiting, errors, flags).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCRMX_BUILD_TESTS=OFF -DCRMX_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target crmxc crmx-run
EX=examples/acme-salesforce-netsuite
OUT="$BUILD_DIR/north-star"
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "$EX/data/crm" "$OUT/crm"
"$BUILD_DIR/compiler/driver/crmxc" test "$EX/acme.crmx"
"$BUILD_DIR/compiler/driver/crmxc" build "$EX/acme.crmx" -o "$OUT/acme.plan.json"
"$BUILD_DIR/runtime/crmx-run" run "$OUT/acme.plan.json" --system crm="$OUT/crm" --system erp="$OUT/erp.db" \
  --queues "$OUT/queues"
echo "main: the north star ran; expected counts: $EX/data/expected_summary.json (tests/e2e/run_north_star.sh compares them)"
