#!/usr/bin/env bash
# A provider failing every call opens the circuit breaker: status shows it open, later calls fail
# at once without reaching the provider and say why, and the API key (from api_key_env) is in no
# log line and nowhere in status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mock_provider/mock_lib.sh"
start_mock
mock_script '[{"mode":"500","count":-1,"message":"upstream model crashed"}]'
export SKALD_IT_REMOTE_KEY="sk-it-sekret-4242"
write_config
use_embed_openai
set_key embedding api_key_env SKALD_IT_REMOTE_KEY
set_key embedding max_retries 0
set_key embedding breaker_failures 3
set_key embedding breaker_cooldown 600
start_daemon
wait_ready

http GET /api/v1/system/status > /dev/null
assert_num 0 "$(jq_body '.result.plugins[0].metrics.breaker_state')" "breaker state before any call"
ok "status shows the breaker closed (0) before any call"

for i in 1 2 3; do
  http POST /api/v1/debug/embed '{"texts":["x"]}' > /dev/null
  assert_eq 503 "$(status)" "failing call $i"
  jq_body .error.message | grep -q "embed_openai (model mock-model): POST /embeddings: HTTP 500: upstream model crashed" \
    || fail "call $i message: $(jq_body .error.message)"
done
ok "3 failing calls: 503 with plugin, model, HTTP status and the provider's message"

http GET /api/v1/system/status > /dev/null
assert_num 1 "$(jq_body '.result.plugins[0].metrics.breaker_state')" "breaker state after 3 failures"
assert_num 3 "$(jq_body '.result.plugins[0].metrics.failures')" "failures"
ok "status shows the breaker open (1) after 3 consecutive failures"

"$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["x"]}' \
  --connections 4 --requests-per-conn 50 --max-seconds 30 > "$WORK/load.json" \
  || fail "not every call answered: $(cat "$WORK/load.json")"
assert_eq 200 "$("$JSONQ" '.status.503' < "$WORK/load.json")" "calls refused with 503"
assert_eq 3 "$(mock_stat .requests)" "requests that reached the provider"
p99=$("$JSONQ" .p99_ms < "$WORK/load.json")
max=$("$JSONQ" .max_ms < "$WORK/load.json")
# Failing fast means no network wait; a call that went out would wait for the provider instead.
awk -v m="$max" 'BEGIN { exit !(m < 1000) }' || fail "a refused call took $max ms"
ok "200 calls while open: all 503 without reaching the provider (p99 $(ms "$p99") ms, max $(ms "$max") ms)"

http POST /api/v1/debug/embed '{"texts":["x"]}' > /dev/null
jq_body .error.message | grep -q "circuit breaker open, not calling $MOCK_URL; next probe in" \
  || fail "breaker message: $(jq_body .error.message)"
jq_body .error.message | grep -q "last failure: .*HTTP 500: upstream model crashed" \
  || fail "breaker message lacks the last failure: $(jq_body .error.message)"
ok "the refusal says the breaker is open, when it probes next and the last failure"

http GET /api/v1/system/status > /dev/null
assert_num 201 "$(jq_body '.result.plugins[0].metrics.breaker_rejections')" "breaker rejections"
cp "$WORK/body" "$WORK/status.json"
assert_eq "Bearer sk-it-sekret-4242" "$(curl -sf "$MOCK_URL/_last" | "$JSONQ" .authorization)" \
  "Authorization the provider received"
if grep -q "sekret" "$LOG" "$WORK/status.json"; then fail "the API key shows in the log or status"; fi
ok "the provider got the API key; the log and status never show it"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
