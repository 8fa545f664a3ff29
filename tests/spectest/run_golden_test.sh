#!/usr/bin/env bash
# Golden test of `crmxc test` on one spec whose tests pass and fail on purpose: the stdout of
# SPEC must equal SPEC's .stdout beside it (BLESS=1 rewrites it: review the diff as code), the
# exit status must be 1 (a test failed) and stderr empty (the spec checks without a warning).
# Usage: run_golden_test.sh PATH/TO/crmxc SPEC (from the repository root).
set -uo pipefail
CRMXC=${1:?usage: run_golden_test.sh PATH/TO/crmxc SPEC}
spec=${2:?usage: run_golden_test.sh PATH/TO/crmxc SPEC}
golden=${spec%.crmx}.stdout
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

NO_COLOR=1 "$CRMXC" test "$spec" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 1 ]; then echo "FAIL exit: $rc (expected 1)"; fail=1; fi
if [ -s "$tmp/stderr" ]; then echo "FAIL stderr is not empty:"; cat "$tmp/stderr"; fail=1; fi
if [ "${BLESS:-0}" = 1 ]; then cp "$tmp/stdout" "$golden"; fi
if ! diff -u "$golden" "$tmp/stdout"; then echo "FAIL stdout differs from $golden"; fail=1; fi
[ "$fail" -eq 0 ] && echo "$(basename "$spec"): golden output and exit status as expected"
exit "$fail"
