# Shared helpers for integration tests: a daemon on a free 127.0.0.1 port with a temporary data
# dir, HTTP helpers and assertions. Sourced by each test; paths come from ctest's environment:
# SKALD_BIN, SKALD_PLUGIN_DIR, SKALD_TOOLS_DIR.
set -euo pipefail

: "${SKALD_BIN:?}" "${SKALD_PLUGIN_DIR:?}" "${SKALD_TOOLS_DIR:?}"
LOADGEN="$SKALD_TOOLS_DIR/skald-loadgen"
JSONQ="$SKALD_TOOLS_DIR/skald-jsonq"

WORK=$(mktemp -d /tmp/skald-it.XXXXXX)
CONF="$WORK/skald.ini"
DATA="$WORK/data"
LOG="$WORK/daemon.log"
DAEMON_PID=""
PORT=$("$SKALD_TOOLS_DIR/skald-free-port")
BASE="http://127.0.0.1:$PORT"
PASSED=0

cleanup() {
  local pids
  pids=$(jobs -p)
  [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null || true
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  wait || true
  rm -rf "$WORK"
} 2>/dev/null
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  if [ -f "$LOG" ]; then echo "--- daemon log (tail)"; tail -n 40 "$LOG"; fi
  exit 1
}
ok() { echo "ok   $*"; PASSED=$((PASSED + 1)); }
finish() { echo "$PASSED passed, 0 failed"; }

# write_config [extra ini text appended after the defaults; later keys win]
write_config() {
  cat > "$CONF" <<INI
[server]
listen = 127.0.0.1:$PORT
data_dir = $DATA
plugin_dir = $SKALD_PLUGIN_DIR
workers = 4
shutdown_timeout = 5
debug_routes = on
[embedding]
plugin = embed_hash
dims = 64
[vlm]
plugin = vlm_extractive
[rerank]
plugin = rerank_lexical
[vector]
plugin = vector_flat
dims = 64
[queue]
plugin = queue_sqlite
INI
  if [ $# -gt 0 ]; then printf '%s\n' "$1" >> "$CONF"; fi
}

# set_key SECTION KEY VALUE: rewrites (or adds) a key in $CONF.
set_key() {
  local section="$1" key="$2" value="$3" tmp="$CONF.tmp"
  awk -v s="[$section]" -v k="$key" -v v="$value" '
    $0 == s { print; insec = 1; next }
    /^\[/ { if (insec && !done) { print k " = " v; done = 1 } insec = 0 }
    insec && $1 == k { if (!done) print k " = " v; done = 1; next }
    { print }
    END { if (insec && !done) print k " = " v }' "$CONF" > "$tmp"
  mv "$tmp" "$CONF"
}

# start_daemon [args...]: starts skald in the background and waits for /health.
start_daemon() {
  "$SKALD_BIN" -c "$CONF" "$@" 2>>"$LOG" &
  DAEMON_PID=$!
  wait_health
}

wait_health() {
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "$BASE/health"; then return 0; fi
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "daemon exited during startup"
    sleep 0.05
  done
  fail "no /health within 5 s"
}

wait_ready() {
  for _ in $(seq 1 200); do
    [ "$(http_code GET /ready)" = 200 ] && return 0
    sleep 0.05
  done
  fail "/ready not 200 within 10 s"
}

# stop_daemon SIGNAL: sends it and waits (at most 15 s); sets DAEMON_EXIT.
stop_daemon() {
  kill "-$1" "$DAEMON_PID"
  for _ in $(seq 1 300); do
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  kill -0 "$DAEMON_PID" 2>/dev/null && fail "daemon still running 15 s after SIG$1"
  set +e
  wait "$DAEMON_PID" 2>/dev/null
  DAEMON_EXIT=$?
  set -e
  DAEMON_PID=""
}

# http METHOD PATH [BODY]: prints the body; the status goes to $WORK/status.
http() {
  local method="$1" path="$2" body="${3:-}"
  if [ -n "$body" ]; then
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
      --data-binary "$body" "$BASE$path" > "$WORK/status" || echo 000 > "$WORK/status"
  else
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "$BASE$path" > "$WORK/status" || echo 000 > "$WORK/status"
  fi
  cat "$WORK/body"
}
http_code() { http "$@" >/dev/null; cat "$WORK/status"; }
status() { cat "$WORK/status"; }
# jq_body PATH: a value from the last response body.
jq_body() { "$JSONQ" "$1" < "$WORK/body"; }

assert_eq() { # expected actual what
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# queue_pending TOPIC: pending count of a topic in status (0 when absent).
queue_pending() {
  http GET /api/v1/system/status > /dev/null
  local i=0 topic
  while topic=$("$JSONQ" ".result.queue.topics[$i].topic" < "$WORK/body" 2>/dev/null); do
    if [ "$topic" = "$1" ]; then "$JSONQ" ".result.queue.topics[$i].pending" < "$WORK/body"; return; fi
    i=$((i + 1))
  done
  echo 0
}
