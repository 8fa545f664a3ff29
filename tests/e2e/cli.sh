#!/usr/bin/env bash
# End-to-end checks of the crmxc command line: exit statuses (0 clean, 1 errors, 2 usage or
# unreadable input), output streams and formats. Usage: cli.sh PATH/TO/crmxc (from the repo root).
set -uo pipefail
CRMXC=${1:?usage: cli.sh PATH/TO/crmxc}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS PATTERN -- COMMAND...: runs COMMAND, checks its exit status and that its
# stdout+stderr match the extended regex PATTERN.
expect() {
  local name=$1 status=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$status" ] && printf '%s' "$out" | grep -Eq -- "$pattern"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    printf 'FAIL %s: exit %s (expected %s), output:\n%s\n' "$name" "$rc" "$status" "$out" | head -20
  fi
}

expect version 0 '^crmxc [0-9]+\.[0-9]+\.[0-9]+' -- "$CRMXC" --version
expect help 0 'check' -- "$CRMXC" --help
expect no-subcommand 2 'subcommand' -- "$CRMXC"
expect unknown-subcommand 2 'unknown command `frobnicate`' -- "$CRMXC" frobnicate
expect bad-format 2 'xml' -- "$CRMXC" check --format xml examples
expect missing-file 2 'cannot read `nope.crmx`' -- "$CRMXC" check nope.crmx
mkdir -p "$tmp/empty"
expect empty-dir 2 'no \.crmx files' -- "$CRMXC" check "$tmp/empty"
out=$("$CRMXC" check examples 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL examples-clean: $out" | head -20; fi
expect explain 0 '^# E0004' -- "$CRMXC" explain E0004
expect explain-lowercase 0 '^# E0004' -- "$CRMXC" explain e0004
expect explain-unknown 2 'E9999' -- "$CRMXC" explain E9999
expect schema-show-spec 0 'length: 80' -- "$CRMXC" schema show examples/acme-salesforce-netsuite/acme.crmx crm.Account.BillingState
expect schema-show-object 0 'companyName +string' -- "$CRMXC" schema show examples/acme-salesforce-netsuite/acme.crmx erp.Customer
expect schema-show-unknown 1 '`Acount` is not an object of system `crm`' -- "$CRMXC" schema show examples/acme-salesforce-netsuite/acme.crmx crm.Acount
expect schema-show-overlay 0 'crmx:overlay\] computed' -- "$CRMXC" schema show tests/ui/overlays/ok_overlays.crmx erp.Invoice.TotalAmt
expect schema-export 0 'exported 3 objects of system `erp` \(11 overlaid fields\)' -- "$CRMXC" schema export tests/ui/overlays/ok_overlays.crmx erp -o "$tmp/erp.json"
expect schema-export-overlaid 0 '"crmx:overlay": "string\(40\) external_id unique"' -- cat "$tmp/erp.json"
expect schema-export-unknown 1 '`nope` is not a system' -- "$CRMXC" schema export tests/ui/overlays/ok_overlays.crmx nope -o "$tmp/x.json"
expect schema-show-here 0 'Net 30' -- bash -c "cd examples/acme-salesforce-netsuite && \"\$0\" schema show crm.Account.PaymentTerms__c" "$(realpath "$CRMXC")"
expect dump-ast 0 '^integration acme' -- "$CRMXC" dump ast examples/acme-salesforce-netsuite/acme.crmx

printf 'integration t {\n  sync m on change when A = 1\n}\n' > "$tmp/bad.crmx"
expect human-error 1 'error\[E0004\]' -- "$CRMXC" check "$tmp/bad.crmx"
# Machine formats go to stdout, and nothing else does.
out=$("$CRMXC" check --format json "$tmp/bad.crmx" 2>/dev/null)
if printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["diagnostics"][0]["code"]=="E0004"'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL json: stdout is not the JSON report: $out" | head -5
fi
out=$("$CRMXC" check --format sarif "$tmp/bad.crmx" 2>/dev/null)
if printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]=="2.1.0" and d["runs"][0]["results"][0]["ruleId"]=="E0004"'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL sarif: $out" | head -5
fi
expect github 1 '^::error file=.*title=E0004' -- "$CRMXC" check --format github "$tmp/bad.crmx"
# Human output has no colour when not on a terminal, and none with NO_COLOR.
if ! NO_COLOR=1 "$CRMXC" check "$tmp/bad.crmx" 2>&1 | grep -q $'\033'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL colour"; fi

printf 'cli: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
