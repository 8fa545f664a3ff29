#!/usr/bin/env bash
# The main job: builds crmxc, crmx-run and crmx-emulate; runs the north-star example's spec
# tests (`crmxc test`) and compiles it to a plan; starts the two vendor emulators (Salesforce
# seeded with the example's bundled CRM export, NetSuite with its catalog items); runs the plan
# through the Salesforce and NetSuite REST connectors with a profile; prints the summary and
# stops the emulators.
# Outputs (fresh on every run) in $BUILD_DIR/north-star: acme.plan.json, crmx.profiles.yaml (the
# emulators' addresses; secrets as env: references), state.db, queues/ (quality, held, waiting,
# errors, flags as JSON Lines), the emulators' logs, and erp-records/ (what NetSuite holds after
# the run, from the emulator's /_emulator/records).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCRMX_BUILD_TESTS=OFF -DCRMX_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target crmxc crmx-run crmx-emulate
EX=examples/acme-salesforce-netsuite
OUT="$BUILD_DIR/north-star"
rm -rf "$OUT"
mkdir -p "$OUT/erp-records"
"$BUILD_DIR/compiler/driver/crmxc" test "$EX/acme.crmx"
"$BUILD_DIR/compiler/driver/crmxc" build "$EX/acme.crmx" -o "$OUT/acme.plan.json"

CRMX_EMULATE="$BUILD_DIR/emulators/crmx-emulate"
source scripts/emulators.sh
trap emulators_stop EXIT
emulator_start SF salesforce "$OUT/salesforce.log" --data "$EX/data/crm" --schemas "$EX/schemas/salesforce"
emulator_start NS netsuite "$OUT/netsuite.log" --schemas "$EX/schemas/netsuite"
echo "main: Salesforce emulator at $SF_URL, NetSuite emulator at $NS_URL"

# The emulators' test credentials (crmx-emulate's defaults), handed over as the profile says:
# through the environment, never in the profile file.
export CRMX_SF_CLIENT_SECRET=crmx-test-secret
export CRMX_NS_CONSUMER_KEY=crmx-test-consumer-key CRMX_NS_CONSUMER_SECRET=crmx-test-consumer-secret
export CRMX_NS_TOKEN_ID=crmx-test-token-id CRMX_NS_TOKEN_SECRET=crmx-test-token-secret
sed -e "s|http://127.0.0.1:18081|$SF_URL|" -e "s|http://127.0.0.1:18082|$NS_URL|" \
  "$EX/crmx.profiles.yaml" > "$OUT/crmx.profiles.yaml"

"$BUILD_DIR/runtime/crmx-run" check-connection "$OUT/acme.plan.json" --profiles "$OUT/crmx.profiles.yaml" --target emulators
"$BUILD_DIR/runtime/crmx-run" run "$OUT/acme.plan.json" --profiles "$OUT/crmx.profiles.yaml" --target emulators \
  --state "$OUT/state.db" --queues "$OUT/queues"
for object in Customer SalesOrder; do
  curl -sf "$NS_URL/_emulator/records/$object" > "$OUT/erp-records/$object.jsonl"
done
echo "main: NetSuite now holds $(wc -l < "$OUT/erp-records/Customer.jsonl") customers and" \
  "$(wc -l < "$OUT/erp-records/SalesOrder.jsonl") sales orders ($OUT/erp-records);" \
  "expected counts: $EX/data/expected_summary.json (tests/e2e compare them)"
