#!/usr/bin/env bash
# The durable-delivery soak (README.md in this folder): 50 random kill -9 trials and every crash
# point with N = 1, 2, 3 and 5 over several fault seeds, against the vendor emulators with 30% of
# calls failing, then the with/without-state benchmark at full size. Prints the figures of each.
#
# Usage: tests/soak/run_soak.sh [BUILD_DIR]          (default: build)
# Environment: TRIALS (50), JOBS (3), SEEDS (fault seed bases for the crash points: "1000 2000"),
#              KILL_SEED (7), MAX_DELAY (seconds, 10), SKIP_BENCH=1 to leave out the benchmark.
# Exit: 0 when every part passed, 1 otherwise (each part's FAIL lines say why).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CRMXC=$BUILD/compiler/driver/crmxc
CRMX_RUN=$BUILD/runtime/crmx-run
EMULATE=$BUILD/emulators/crmx-emulate
for b in "$CRMXC" "$CRMX_RUN" "$EMULATE"; do
  [ -x "$b" ] || { echo "missing $b: ninja -C $BUILD crmxc crmx-run crmx-emulate" >&2; exit 2; }
done
TRIALS=${TRIALS:-50}
JOBS=${JOBS:-3}
SEEDS=${SEEDS:-"1000 2000"}
KILL_SEED=${KILL_SEED:-7}
MAX_DELAY=${MAX_DELAY:-10}
LOG=$(mktemp -d /tmp/crmx-soak-XXXXXX)
status=0
start=$(date +%s)

part() {  # part NAME COMMAND...: runs it, keeps its output in $LOG/NAME.log, prints its figures
  local name=$1
  shift
  local t0=$(date +%s)
  echo "== $name: $*"
  if "$@" > "$LOG/$name.log" 2>&1; then
    echo "   passed in $(( $(date +%s) - t0 ))s"
  else
    echo "   FAILED in $(( $(date +%s) - t0 ))s (log: $LOG/$name.log)"
    status=1
  fi
  grep -E '^(totals|figures|not reached|ratio|FAIL)' "$LOG/$name.log" | sed 's/^/   /' | cut -c1-400
}

part kill_trials python3 "$ROOT/tests/e2e/http/kill_trials_http.py" "$CRMXC" "$CRMX_RUN" "$EMULATE" \
  --trials "$TRIALS" --seed "$KILL_SEED" --max-delay "$MAX_DELAY" --jobs "$JOBS"
for s in $SEEDS; do
  part "crash_points_$s" python3 "$ROOT/tests/e2e/http/crash_points_http.py" "$CRMXC" "$CRMX_RUN" "$EMULATE" \
    --ns 1,2,3,5 --seed-base "$s" --jobs "$JOBS"
done
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  part bench_durable python3 "$ROOT/bench/durable/run_durable.py" "$CRMXC" "$CRMX_RUN" --accounts 50000 --runs 3 --check
fi
echo "== soak: $(( $(date +%s) - start ))s, logs in $LOG: $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
