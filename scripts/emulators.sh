# Sourced by scripts that run crmx against the local vendor emulators (crmx-emulate).
#   emulator_start NAME KIND LOG ARGS...   starts `crmx-emulate KIND --port 0 ARGS...` in the
#                                          background, waits for its `listening on URL` line and
#                                          sets ${NAME}_URL and ${NAME}_PID
#   emulators_stop                         sends SIGTERM to every emulator started, waits for
#                                          each, and fails when one did not exit 0
# CRMX_EMULATE must name the crmx-emulate binary. Stop them with `trap emulators_stop EXIT`.
CRMX_EMULATOR_PIDS=()

emulator_start() {
  local name=$1 kind=$2 log=$3
  shift 3
  "$CRMX_EMULATE" "$kind" --port 0 "$@" > "$log" 2> "$log.stderr" &
  local pid=$!
  CRMX_EMULATOR_PIDS+=("$pid")
  local url=""
  for _ in $(seq 1 100); do
    url=$(head -n 1 "$log" 2>/dev/null | sed -n 's/^listening on //p')
    [ -n "$url" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "emulator $kind exited before listening:" >&2
      cat "$log.stderr" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "emulator $kind did not say where it listens within 10 s" >&2
    return 1
  fi
  printf -v "${name}_URL" '%s' "$url"
  printf -v "${name}_PID" '%s' "$pid"
}

emulators_stop() {
  local rc=0 pid
  for pid in "${CRMX_EMULATOR_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      if ! wait "$pid"; then
        echo "emulator $pid did not stop cleanly" >&2
        rc=1
      fi
    fi
  done
  CRMX_EMULATOR_PIDS=()
  return $rc
}
