#!/usr/bin/env bash
# `crmxc build` and `crmx-run run` at the command line: a spec with errors is refused (exit 1,
# no plan written); crmx-run refuses an edited plan, a plan of another format version, and an
# unknown system; `--report json` is JSON; `--queues` writes the queue files; `--progress
# always` draws the progress bar on stderr, `never` and a non-terminal stderr do not.
# Usage: build_run_cli.sh CRMXC CRMX_RUN
set -euo pipefail
CRMXC=${1:?}
CRMX_RUN=${2:?}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A spec with an error: exit 1, the diagnostic printed, nothing written.
mkdir -p "$WORK/bad"
cp -r "$ROOT/examples/acme-salesforce-netsuite/." "$WORK/bad/"
sed -i 's/companyName = Name.trim().truncate(83)/companyName = Nme.trim()/' "$WORK/bad/acme.crmx"
set +e
"$CRMXC" build "$WORK/bad/acme.crmx" -o "$WORK/bad.plan.json" > "$WORK/out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "a spec with errors: exit $rc, expected 1"
grep -q "Nme" "$WORK/out" || fail "the diagnostic is not printed: $(cat "$WORK/out")"
grep -q "no plan written" "$WORK/out" || fail "no 'no plan written'"
[ ! -e "$WORK/bad.plan.json" ] || fail "a plan was written for a spec with errors"

# A good plan, then edited copies.
"$CRMXC" build "$ROOT/tests/unit/engine/mini/mini.crmx" -o "$WORK/mini.plan.json" > /dev/null 2>&1
expect_refused() {  # FILE TEXT
  set +e
  "$CRMX_RUN" run "$1" --system crm="$ROOT/tests/unit/engine/mini/crm" --system erp="$WORK/erp.db" > "$WORK/out" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 1 ] || fail "$1: exit $rc, expected 1"
  grep -q "$2" "$WORK/out" || fail "$1: expected '$2' in: $(cat "$WORK/out")"
}
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
p = json.load(open(f"{w}/mini.plan.json"))
p["plan"]["maps"][0]["steps"][0]["target"] = "companyName"
json.dump(p, open(f"{w}/edited.plan.json", "w"))
p = json.load(open(f"{w}/mini.plan.json"))
p["crmx_plan"] = 99
json.dump(p, open(f"{w}/v99.plan.json", "w"))
PY
expect_refused "$WORK/edited.plan.json" "content hash mismatch"
expect_refused "$WORK/v99.plan.json" "unsupported plan version 99"

set +e
"$CRMX_RUN" run "$WORK/mini.plan.json" --system crm="$ROOT/tests/unit/engine/mini/crm" --system hub="$WORK" > "$WORK/out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "an unknown system: exit $rc, expected 2"
grep -q "no system \`hub\`" "$WORK/out" || fail "unknown system message: $(cat "$WORK/out")"

# A run, as JSON.
"$CRMX_RUN" run "$WORK/mini.plan.json" --system crm="$ROOT/tests/unit/engine/mini/crm" --system erp="$WORK/erp.db" \
  --report json > "$WORK/report.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['maps']['acct']['written']==3, r; assert r['maps']['opp']['waiting']['count']==3, r" "$WORK/report.json" \
  || fail "report.json"
[ -f "$WORK/erp.crmx-state.db" ] || fail "the state file is not next to the ERP database"

# The queue files and the progress bar.
"$CRMX_RUN" run "$WORK/mini.plan.json" --system crm="$ROOT/tests/unit/engine/mini/crm" --system erp="$WORK/erp.db" \
  --queues "$WORK/queues" --progress always > "$WORK/out" 2> "$WORK/err"
for f in quality held waiting errors flags; do
  [ -f "$WORK/queues/$f.jsonl" ] || fail "--queues: no $f.jsonl"
done
[ "$(wc -l < "$WORK/queues/waiting.jsonl")" = 3 ] || fail "--queues: waiting.jsonl: $(cat "$WORK/queues/waiting.jsonl")"
grep -q '"map":"opp"' "$WORK/queues/waiting.jsonl" || fail "--queues: no map in waiting.jsonl"
grep -q "queues: $WORK/queues" "$WORK/out" || fail "the summary does not say where the queues are"
grep -q $'\r' "$WORK/err" || fail "--progress always: no bar redrawn on stderr"
grep -q "records, " "$WORK/err" || fail "--progress always: no record count: $(cat "$WORK/err")"
"$CRMX_RUN" run "$WORK/mini.plan.json" --system crm="$ROOT/tests/unit/engine/mini/crm" --system erp="$WORK/erp.db" \
  > /dev/null 2> "$WORK/err"
[ ! -s "$WORK/err" ] || fail "stderr is not a terminal: no progress bar expected, got: $(cat "$WORK/err")"
echo "build_run_cli: ok"
