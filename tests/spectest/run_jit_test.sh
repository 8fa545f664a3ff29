#!/usr/bin/env bash
# The spec tests under the JIT (-DCRMX_JIT=ON): for each SPEC, `crmxc test --engine jit SPEC`
# must print exactly what `crmxc test SPEC` (the VM) prints, on stdout and stderr, and exit
# with the same status; and the JIT must have compiled every program of the plan
# ("jit: N of N programs compiled, 0 on the VM" on stderr).
# Usage: run_jit_test.sh PATH/TO/crmxc SPEC... (from the repository root).
set -uo pipefail
CRMXC=${1:?usage: run_jit_test.sh PATH/TO/crmxc SPEC...}
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for spec in "$@"; do
  NO_COLOR=1 "$CRMXC" test "$spec" >"$tmp/vm.out" 2>"$tmp/vm.err"
  vm_rc=$?
  NO_COLOR=1 "$CRMXC" test --engine jit "$spec" >"$tmp/jit.out" 2>"$tmp/jit.err"
  jit_rc=$?
  grep -v '^jit: ' "$tmp/jit.err" >"$tmp/jit.err.rest"
  summary=$(grep '^jit: ' "$tmp/jit.err")
  bad=0
  if [ "$vm_rc" -ne "$jit_rc" ]; then echo "FAIL $spec: exit $jit_rc with the JIT, $vm_rc on the VM"; bad=1; fi
  if ! diff -u "$tmp/vm.out" "$tmp/jit.out"; then echo "FAIL $spec: stdout differs (VM above, JIT below)"; bad=1; fi
  if ! diff -u "$tmp/vm.err" "$tmp/jit.err.rest"; then echo "FAIL $spec: stderr differs"; bad=1; fi
  if ! [[ "$summary" =~ ^jit:\ ([0-9]+)\ of\ ([0-9]+)\ programs\ compiled,\ 0\ on\ the\ VM ]] ||
     [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
    echo "FAIL $spec: not every program compiled: '${summary}'"
    bad=1
  fi
  if [ "$bad" -eq 0 ]; then echo "ok   $spec (exit $jit_rc, ${summary})"; else fail=1; fi
done
exit "$fail"
