#!/usr/bin/env bash
# SIGHUP swapping the embedding plugin's config while 32 clients send requests: zero failures.
. "$(dirname "$0")/lib.sh"
write_config
start_daemon
wait_ready
"$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["swap me","and me"]}' \
  --connections 32 --requests-per-conn 100000 --max-seconds 6 > "$WORK/load.json" &
load_pid=$!
sleep 0.5
for dims in 256 128 64 256 32; do
  set_key embedding dims "$dims"
  kill -HUP "$DAEMON_PID"
  sleep 0.8
done
set +e
wait "$load_pid"
set -e
result=$(cat "$WORK/load.json")
answered=$("$JSONQ" .answered < "$WORK/load.json")
ok200=$("$JSONQ" '.status.200' < "$WORK/load.json")
errors=$("$JSONQ" .transport_errors < "$WORK/load.json")
[ "$answered" -gt 1000 ] || fail "too few requests to mean anything: $result"
assert_eq "$answered" "$ok200" "requests answered 200 (of all answered): $result"
assert_eq 0 "$errors" "transport errors: $result"
ok "32 clients, 5 reloads: $answered requests, all 200"

http GET /api/v1/system/status >/dev/null
assert_eq 6 "$(jq_body .result.generation)" "generation after 5 reloads"
assert_eq 5 "$(jq_body .result.reloads.ok)" "successful reloads"
http POST /api/v1/debug/embed '{"texts":["x"]}' >/dev/null
assert_eq 32 "$(jq_body .result.dims)" "dims of the last config"
ok "the last config serves: generation 6, dims 32"
grep -q "backend \[embedding\] embed_hash from generation 1 destroyed" "$LOG" || fail "old embedding instance never destroyed"
grep -q "backend \[queue\]" "$LOG" && fail "the unchanged queue was recreated"
ok "old instances destroyed once drained; unchanged sections kept theirs"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
