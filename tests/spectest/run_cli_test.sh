#!/usr/bin/env bash
# Golden test of `crmxc test`: the stdout of tests/spectest/shop.crmx must equal shop.stdout
# (BLESS=1 rewrites it: review the diff as code), the --junit file must be well-formed JUnit
# XML that agrees with it, and the exit statuses must be 1 (a test failed), 0 (every test
# selected passed), 2 (usage). Usage: run_cli_test.sh PATH/TO/crmxc (from the repository root).
set -uo pipefail
CRMXC=${1:?usage: run_cli_test.sh PATH/TO/crmxc}
here=tests/spectest
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {  # check NAME CONDITION-STATUS MESSAGE
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}

NO_COLOR=1 "$CRMXC" test "$here/shop.crmx" --junit "$tmp/junit.xml" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 1 ]; check exit-on-failure $? "exit $rc (expected 1); stderr: $(head -5 "$tmp/stderr")"
if [ "${BLESS:-0}" = 1 ]; then cp "$tmp/stdout" "$here/shop.stdout"; fi
diff -u "$here/shop.stdout" "$tmp/stdout" >"$tmp/diff"
check golden-stdout $? "stdout differs from $here/shop.stdout:
$(cat "$tmp/diff")"

python3 - "$tmp/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1 and suites[0].get("name") == "shop", [s.attrib for s in suites]
cases = suites[0].findall("testcase")
failed = [c for c in cases if c.find("failure") is not None]
assert suites[0].get("tests") == str(len(cases)) == "8", suites[0].attrib
assert suites[0].get("failures") == str(len(failed)) == "4", suites[0].attrib
by_name = {c.get("name"): c for c in cases}
total = by_name["a wrong total is reported field by field"].find("failure")
assert "total" in total.get("message") and "91000.00" in total.text and "92000.00" in total.text, total.text
assert by_name["a closed-won opportunity becomes a sales order"].find("failure") is None
PY
check junit $? "the JUnit file is not what it should be: $(head -c 2000 "$tmp/junit.xml")"

NO_COLOR=1 "$CRMXC" test "$here/shop.crmx" --filter "goes to the data-quality" >"$tmp/filtered" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -qx '1 passed, 0 failed' "$tmp/filtered"
check filter-passing $? "exit $rc; output: $(cat "$tmp/filtered")"

"$CRMXC" test >"$tmp/usage" 2>&1
rc=$?
[ "$rc" -eq 2 ]; check usage $? "exit $rc (expected 2): $(head -3 "$tmp/usage")"

"$CRMXC" test "$tmp/nope.crmx" >"$tmp/missing" 2>&1
rc=$?
[ "$rc" -eq 2 ]; check missing-spec $? "exit $rc (expected 2): $(head -3 "$tmp/missing")"

printf 'integration t {\n  sync m on change when A = 1\n}\n' >"$tmp/bad.crmx"
NO_COLOR=1 "$CRMXC" test "$tmp/bad.crmx" >"$tmp/bad" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q 'error\[E0004\]' "$tmp/bad"
check spec-errors $? "exit $rc (expected 1 with E0004): $(head -5 "$tmp/bad")"

echo "spectest_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
