#!/usr/bin/env bash
# libcurl and libpq are loaded when first needed, not at start-up (runtime/dynlib/shared_library.h):
# the dynamic loader's own log (LD_DEBUG=files) shows neither for `crmx-run --version`, a run
# between local files with a SQLite state, or `crmx-run queue list` on that state; a PostgreSQL
# state loads libpq (and the run then fails on the refused connection, exit 1, saying so); a libpq
# that cannot be loaded fails only a PostgreSQL state, with the library named.
# Usage: lazy_libraries.sh CRMXC CRMX_RUN
set -euo pipefail
CRMXC=${1:?}
CRMX_RUN=${2:?}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Runs CRMX_RUN ARGS... (its output in $WORK/out, its exit status in rc) with the settings in
# ENV added to the environment (words NAME=VALUE, none by default).
ENV=()
status_of() {
  set +e
  env "${ENV[@]}" "$CRMX_RUN" "$@" > "$WORK/out" 2>&1
  rc=$?
  set -e
}
# The same with the loader's log in $WORK/ld.
traced() {
  local saved=("${ENV[@]}")
  ENV+=(LD_DEBUG=files LD_DEBUG_OUTPUT="$WORK/ld")
  status_of "$@"
  ENV=("${saved[@]}")
  cat "$WORK"/ld.* > "$WORK/ld" && rm -f "$WORK"/ld.*
}
# `run` of the mini plan on its CRM files into TARGET with STATE, and any more OPTIONS.
mini() {  # RUNNER TARGET STATE [OPTIONS...]
  local runner=$1 target=$2 state=$3
  shift 3
  "$runner" run "$WORK/mini.plan.json" --system crm="$ROOT/tests/unit/engine/mini/crm" --system erp="$target" \
    --state "$state" --progress never "$@"
}
# The shared objects the last traced command loaded.
loaded() { grep -o 'file=[^ ]*' "$WORK/ld" | sed 's/^file=//' | sort -u; }
expect_not_loaded() {  # WHAT
  grep -q 'file=libsqlite3' "$WORK/ld" || fail "$1: the loader's log is not there (LD_DEBUG unsupported?)"
  if loaded | grep -E '^(libcurl|libpq)\.so'; then fail "$1 loaded libcurl or libpq"; fi
}

traced --version
[ "$rc" = 0 ] || fail "--version: exit $rc: $(cat "$WORK/out")"
expect_not_loaded "crmx-run --version"
echo "--version: $(loaded | wc -l) libraries, neither libcurl nor libpq"

"$CRMXC" build "$ROOT/tests/unit/engine/mini/mini.crmx" -o "$WORK/mini.plan.json" > /dev/null 2>&1
mini traced "$WORK/erp.db" "$WORK/state.db" --queues "$WORK/queues"
[ "$rc" = 0 ] || fail "a run between files: exit $rc: $(cat "$WORK/out")"
expect_not_loaded "a run between files with a SQLite state"
[ -s "$WORK/erp.db" ] || fail "the run wrote nothing"

traced queue list --state "$WORK/state.db"
[ "$rc" = 0 ] || fail "queue list: exit $rc: $(cat "$WORK/out")"
expect_not_loaded "queue list on a SQLite state"
echo "a run between files and queue list: neither loaded"

# Port 9 (discard) on the loopback: nothing listens, the connection is refused at once.
mini traced "$WORK/erp2.db" "postgresql://crmx@127.0.0.1:9/crmx"
[ "$rc" = 1 ] || fail "a PostgreSQL state that refuses: exit $rc, expected 1: $(cat "$WORK/out")"
grep -q "cannot connect to the state database" "$WORK/out" || fail "no reason given: $(cat "$WORK/out")"
loaded | grep -q '^libpq\.so\.5$' || fail "a PostgreSQL state did not load libpq.so.5"
if loaded | grep -q '^libcurl\.so'; then fail "a PostgreSQL state loaded libcurl"; fi
echo "a PostgreSQL state: libpq.so.5 loaded when the state was opened"

# A libpq.so.5 that cannot be loaded (not an ELF file, found first through LD_LIBRARY_PATH): a
# run between files does not notice; a PostgreSQL state fails, exit 1, naming the library.
mkdir -p "$WORK/broken"
echo "not a shared library" > "$WORK/broken/libpq.so.5"
ENV=(LD_LIBRARY_PATH="$WORK/broken")
mini status_of "$WORK/erp3.db" "$WORK/state3.db"
[ "$rc" = 0 ] || fail "a run between files with a broken libpq.so.5 around: exit $rc: $(cat "$WORK/out")"
mini status_of "$WORK/erp4.db" "postgresql://crmx@127.0.0.1:9/crmx"
[ "$rc" = 1 ] || fail "a PostgreSQL state without a loadable libpq: exit $rc, expected 1: $(cat "$WORK/out")"
grep -q "cannot load libpq.so.5 (a PostgreSQL state): " "$WORK/out" || fail "the reason does not name libpq: $(cat "$WORK/out")"
echo "a broken libpq.so.5: a run between files ok, a PostgreSQL state refused: $(grep -o 'cannot load libpq.so.5[^:]*' "$WORK/out" | head -1)"
echo "lazy_libraries: ok"
