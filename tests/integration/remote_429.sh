#!/usr/bin/env bash
# A provider answering 429 makes skald slow down rather than hammer it: over the same 3 s window and
# the same client load, the provider receives a small fraction of what it receives when it answers
# at once (what a client without back-off would send), and with Retry-After: 1 no more than one
# round of max_concurrent requests per second.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mock_provider/mock_lib.sh"
start_mock
write_config
use_embed_openai
set_key embedding max_concurrent 4
set_key embedding max_retries 3
set_key embedding retry_backoff 0.2
# The breaker would stop the traffic on its own; keep it out to measure the back-off.
set_key embedding breaker_failures 1000
start_daemon
wait_ready

# window NAME STEPS: 8 clients sending embed requests for 3 s while the mock follows STEPS; prints
# the requests the provider received.
window() {
  mock_reset
  mock_script "$2"
  "$LOADGEN" --url "$BASE/api/v1/debug/embed" --method POST --body '{"texts":["rate me"]}' \
    --connections 8 --requests-per-conn 1000000 --max-seconds 3 > "$WORK/load-$1.json" || true
  mock_stat .requests
}

baseline=$(window ok '[]')
[ "$baseline" -ge 300 ] || fail "baseline too small to compare with: $baseline requests in 3 s"
ok "provider answering at once: $baseline requests in 3 s (the rate of a client without back-off)"

limited=$(window 429 '[{"mode":"429","count":-1}]')
[ $((limited * 10)) -lt "$baseline" ] || fail "429 without Retry-After: $limited requests, baseline $baseline"
[ "$limited" -le 100 ] || fail "429 without Retry-After: $limited requests in 3 s"
ok "429 without Retry-After: $limited requests in 3 s (baseline $baseline)"

# Let the calls of the last window finish their retries before the next one.
sleep 3
paced=$(window retry_after '[{"mode":"429","count":-1,"retry_after":1}]')
# One round of at most max_concurrent (4) requests per second, plus the round at the start.
[ "$paced" -le 16 ] || fail "429 with Retry-After: 1: $paced requests in 3 s, over 4 rounds of 4"
[ "$paced" -ge 1 ] || fail "no request reached the provider"
ok "429 with Retry-After: 1: $paced requests in 3 s (at most 4 per second)"

http GET /api/v1/system/status > /dev/null
retries=$(jq_body '.result.plugins[0].metrics.retries')
awk -v r="$retries" 'BEGIN { exit !(r > 0) }' || fail "no retry counted in status"
ok "status counts $(printf %.0f "$retries") retries"
grep -q "embed_openai (model mock-model): POST /embeddings: HTTP 429: rate limit reached, slow down" "$LOG" \
  || fail "the provider's 429 message is in no log line"
ok "the log names the provider's 429 message"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
