#!/usr/bin/env bash
# A leftover lock file naming a live, unrelated PID (1) never blocks; a second live instance does.
. "$(dirname "$0")/lib.sh"
write_config
mkdir -p "$DATA"
echo 1 > "$DATA/skald.lock"
start_daemon
assert_eq 200 "$(http_code GET /health)" "health with a stale lock file"
assert_eq "$DAEMON_PID" "$(tr -d '\n' < "$DATA/skald.lock")" "PID in the lock file"
ok "stale lock file naming PID 1: start succeeds and the file names the new PID"

second_port=$("$SKALD_TOOLS_DIR/skald-free-port")
set +e
timeout 10 "$SKALD_BIN" -c "$CONF" -o "server.listen=127.0.0.1:$second_port" > "$WORK/second.out" 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "second instance exit code"
grep -q "locked by running process $DAEMON_PID" "$WORK/second.out" || fail "second instance did not name PID $DAEMON_PID: $(cat "$WORK/second.out")"
assert_eq 200 "$(http_code GET /health)" "first instance after the second failed"
ok "second instance on the same data dir: exit 1 naming the holder's PID"

stop_daemon KILL
start_daemon
assert_eq 200 "$(http_code GET /health)" "restart after kill -9"
ok "restart after kill -9 with the lock file left behind"
finish
