#!/usr/bin/env bash
# SIGTERM while 64 requests are suspended on slow plugin calls: every client gets an HTTP answer
# and the exit is 0.
. "$(dirname "$0")/lib.sh"
write_config
set_key embedding plugin test_embed_slow
set_key embedding delay_ms 3000
set_key embedding dims 8
set_key server shutdown_timeout 10
set_key server workers 64
start_daemon
wait_ready
"$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["slow"]}' \
  --connections 64 --requests-per-conn 1 --max-seconds 30 > "$WORK/load.json" &
load_pid=$!
sleep 0.7
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
set +e
wait "$load_pid"
load_rc=$?
set -e
result=$(cat "$WORK/load.json")
assert_eq 0 "$load_rc" "every client answered: $result"
assert_eq 64 "$("$JSONQ" .answered < "$WORK/load.json")" "answered: $result"
assert_eq 64 "$("$JSONQ" '.status.200' < "$WORK/load.json")" "finished within the deadline with 200: $result"
ok "SIGTERM with 64 suspended requests: all 64 answered 200 (work finished within shutdown_timeout), exit 0"

# Now cut the work off: the deadline is shorter than the calls.
set_key server shutdown_timeout 1
start_daemon
wait_ready
"$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["slow"]}' \
  --connections 64 --requests-per-conn 1 --max-seconds 30 > "$WORK/load.json" &
load_pid=$!
sleep 0.7
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
set +e
wait "$load_pid"
load_rc=$?
set -e
result=$(cat "$WORK/load.json")
assert_eq 0 "$load_rc" "every client answered: $result"
assert_eq 64 "$("$JSONQ" '.status.503' < "$WORK/load.json")" "cut off with 503: $result"
ok "SIGTERM past the deadline: all 64 cut off with 503 UNAVAILABLE, exit 0"
finish
