#!/usr/bin/env bash
# A provider that never answers, with more hanging embedding calls than workers: /health answers
# every request at once meanwhile, each call ends at its deadline with 504 naming plugin and model,
# the provider sees every abandoned request's client leave, and status counts the failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mock_provider/mock_lib.sh"
start_mock
mock_script '[{"mode":"hang","count":-1}]'
write_config
set_key server call_timeout 4
use_embed_openai
start_daemon
wait_ready

# 8 calls: 4 hang in the workers (max_concurrent 4), 4 more wait for a worker.
for i in $(seq 1 8); do
  curl -s -o "$WORK/hang$i.json" -w '%{http_code} %{time_total}' --max-time 30 -X POST \
    -H 'Content-Type: application/json' -d '{"texts":["never answered"]}' \
    "$BASE/api/v1/debug/embed" > "$WORK/hang$i" &
done
for _ in $(seq 1 200); do
  [ "$(mock_stat .in_flight)" -ge 4 ] && break
  sleep 0.02
done
assert_eq 4 "$(mock_stat .in_flight)" "requests hanging at the provider"

"$LOADGEN" --url "$BASE/health" --connections 16 --requests-per-conn 100 --max-seconds 20 \
  > "$WORK/load.json" || fail "not every /health answered: $(cat "$WORK/load.json")"
assert_eq 1600 "$("$JSONQ" '.status.200' < "$WORK/load.json")" "/health answered 200"
p50=$("$JSONQ" .p50_ms < "$WORK/load.json")
p99=$("$JSONQ" .p99_ms < "$WORK/load.json")
max=$("$JSONQ" .max_ms < "$WORK/load.json")
[ "$(mock_stat .in_flight)" -ge 1 ] || fail "the calls stopped hanging before /health was measured"
# Far above the few ms measured, so a loaded ASan run does not flake; a stalled server takes seconds.
awk -v p="$p99" 'BEGIN { exit !(p < 250) }' || fail "/health p99 $p99 ms while calls hang"
ok "1600 /health while 8 calls hang (workers 4): all 200, p50 $(ms "$p50") ms, p99 $(ms "$p99") ms, max $(ms "$max") ms"

wait_calls() {
  for i in $(seq 1 8); do
    while [ ! -s "$WORK/hang$i" ]; do sleep 0.05; done
  done
}
wait_calls
slowest=0
for i in $(seq 1 8); do
  read -r code secs < "$WORK/hang$i" || true  # curl -w writes no newline
  assert_eq 504 "$code" "hanging call $i status"
  "$JSONQ" .error.message < "$WORK/hang$i.json" > "$WORK/msg"
  grep -q "embed_openai (model mock-model): POST /embeddings: the call's deadline passed while waiting for the answer" "$WORK/msg" \
    || fail "call $i message: $(cat "$WORK/msg")"
  slowest=$(awk -v a="$slowest" -v b="$secs" 'BEGIN { print (b > a ? b : a) }')
done
# Two rounds of a 4 s deadline; the round's calls end when their own deadline passes.
awk -v s="$slowest" 'BEGIN { exit !(s < 9.5) }' || fail "slowest hanging call took $slowest s"
ok "each hanging call ended with 504 at its deadline (slowest of two rounds: $slowest s)"

for _ in $(seq 1 100); do
  [ "$(mock_stat .abandoned)" -ge 8 ] && break
  sleep 0.05
done
assert_eq 8 "$(mock_stat .abandoned)" "requests the provider saw abandoned"
assert_eq 0 "$(mock_stat .in_flight)" "requests still hanging at the provider"
ok "the provider saw all 8 abandoned, none left open"

http GET /api/v1/system/status > /dev/null
assert_eq embed_openai "$(jq_body '.result.plugins[0].name')" "embedding plugin"
assert_num 8 "$(jq_body '.result.plugins[0].metrics.calls')" "calls in status"
assert_num 8 "$(jq_body '.result.plugins[0].metrics.failures')" "failures in status"
assert_num 0 "$(jq_body '.result.plugins[0].metrics.in_flight')" "in_flight in status"
ok "status: 8 calls, 8 failures, none in flight"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
