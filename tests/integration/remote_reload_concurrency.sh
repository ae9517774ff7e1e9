#!/usr/bin/env bash
# max_concurrent lowered by SIGHUP while 16 clients keep embedding through a slow provider: once the
# calls sent under the old limit are done, the provider never sees more than the new limit in
# flight, calls queued on the old instance still complete, and no request fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mock_provider/mock_lib.sh"
start_mock --delay-ms 100
write_config
set_key server workers 24
use_embed_openai
set_key embedding max_concurrent 6
start_daemon
wait_ready

"$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["limit me"]}' \
  --connections 16 --requests-per-conn 1000000 --max-seconds 7 > "$WORK/load.json" &
load_pid=$!
for _ in $(seq 1 200); do
  [ "$(mock_stat .max_in_flight)" -ge 6 ] && break
  sleep 0.02
done
assert_eq 6 "$(mock_stat .max_in_flight)" "most requests in flight under max_concurrent 6"
ok "max_concurrent 6: the provider sees 6 in flight"

set_key embedding max_concurrent 2
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 200); do
  http GET /api/v1/system/status > /dev/null
  [ "$(jq_body .result.generation)" = 2 ] && break
  sleep 0.02
done
assert_eq 2 "$(jq_body .result.generation)" "generation after SIGHUP"
# Requests sent under the old limit finish within one answer (100 ms); then count afresh.
for _ in $(seq 1 200); do
  [ "$(mock_stat .in_flight)" -le 2 ] && break
  sleep 0.02
done
mock_reset
sleep 3
seen=$(mock_stat .max_in_flight)
sent=$(mock_stat .requests)
[ "$seen" -le 2 ] || fail "the provider saw $seen in flight after max_concurrent went to 2"
[ "$sent" -ge 20 ] || fail "only $sent requests in 3 s: the load stalled"
ok "after SIGHUP to max_concurrent 2: at most $seen in flight over $sent requests in 3 s"

set +e
wait "$load_pid"
set -e
answered=$("$JSONQ" .answered < "$WORK/load.json")
assert_eq "$answered" "$("$JSONQ" '.status.200' < "$WORK/load.json")" \
  "requests answered 200: $(cat "$WORK/load.json")"
assert_eq 0 "$("$JSONQ" .transport_errors < "$WORK/load.json")" "transport errors"
ok "$answered requests across the reload, all 200"

http GET /api/v1/system/status > /dev/null
assert_num 2 "$(jq_body '.result.plugins[0].metrics.max_concurrent')" "max_concurrent in status"
grep -q "backend \[embedding\] embed_openai from generation 1 destroyed" "$LOG" \
  || fail "the old embedding instance was never destroyed"
ok "status shows max_concurrent 2; the old instance was destroyed once drained"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
