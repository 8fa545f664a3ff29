#!/usr/bin/env bash
# In a build without the JIT (-DCRMX_JIT=OFF, the default), `--engine jit` is a usage error:
# exit 2 with a message that says how to get it, for `crmxc eval`, `crmxc test` and
# `crmx-run run`; `--engine vm` works as without the option.
# Usage: engine_unavailable.sh PATH/TO/crmxc PATH/TO/crmx-run (from the repository root).
set -uo pipefail
CRMXC=${1:?usage: engine_unavailable.sh CRMXC CRMX_RUN}
CRMX_RUN=${2:?usage: engine_unavailable.sh CRMXC CRMX_RUN}
fail=0
expect_usage() {  # expect_usage NAME COMMAND...
  local name=$1
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne 2 ] || [[ "$out" != *"-DCRMX_JIT=ON"* ]]; then
    echo "FAIL $name: exit $rc (expected 2 naming -DCRMX_JIT=ON): $out"
    fail=1
  else
    echo "ok   $name: $out"
  fi
}
expect_usage "crmxc eval" "$CRMXC" eval --engine jit -- '1 + 1'
expect_usage "crmxc test" "$CRMXC" test --engine jit tests/spectest/shop.crmx
expect_usage "crmx-run run" "$CRMX_RUN" run --engine jit does-not-matter.plan.json
out=$("$CRMXC" eval --engine vm -- '1 + 1' 2>&1)
if [ "$out" != "2 : int" ]; then echo "FAIL crmxc eval --engine vm: $out"; fail=1; fi
exit "$fail"
