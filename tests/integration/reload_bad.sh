#!/usr/bin/env bash
# A bad config on SIGHUP leaves the old one serving, says why, and a fixed one loads.
. "$(dirname "$0")/lib.sh"
write_config
start_daemon
wait_ready
set_key vector plugin no_such_plugin
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do grep -q "reload failed" "$LOG" && break; sleep 0.05; done
grep -q "reload failed" "$LOG" || fail "no 'reload failed' in the log"
assert_eq 200 "$(http_code GET /health)" "health after a bad reload"
assert_eq 200 "$(http_code POST /api/v1/debug/embed '{"texts":["still here"]}')" "embed after a bad reload"
http GET /api/v1/system/status >/dev/null
assert_eq false "$(jq_body .result.last_reload.ok)" "last_reload.ok"
jq_body .result.last_reload.error | grep -q "no_such_plugin" || fail "last_reload.error does not say why"
assert_eq 1 "$(jq_body .result.generation)" "generation after a failed reload"
ok "bad config on SIGHUP: old config serves, log and status say why"

http POST /api/v1/system/reload '{}' >/dev/null
assert_eq 400 "$(status)" "reload endpoint with a bad config"
assert_eq INVALID_ARGUMENT "$(jq_body .error.code)" "reload endpoint code"
jq_body .error.message | grep -q "reload failed" || fail "reload endpoint message"
ok "POST /api/v1/system/reload with a bad config: 400 with why"

set_key vector plugin vector_flat
set_key server listen "127.0.0.1:1"
http POST /api/v1/system/reload '{}' >/dev/null
assert_eq 400 "$(status)" "restart-only key"
jq_body .error.message | grep -q "requires a restart" || fail "restart-only key message"
ok "changing a restart-only key fails the reload and says so"

set_key server listen "127.0.0.1:$PORT"
set_key server pipeline_threads 6
http POST /api/v1/system/reload '{}' >/dev/null
assert_eq 400 "$(status)" "pipeline_threads changed"
jq_body .error.message | grep -q "pipeline_threads: changing it requires a restart" ||
  fail "pipeline_threads message"
ok "changing pipeline_threads fails the reload and says so"

set_key server pipeline_threads 4
http POST /api/v1/system/reload '{}' >/dev/null
assert_eq 200 "$(status)" "reload of a fixed config"
assert_eq 2 "$(jq_body .result.generation)" "generation after the fix"
http GET /api/v1/system/status >/dev/null
assert_eq true "$(jq_body .result.last_reload.ok)" "last_reload.ok after the fix"
ok "fixed config reloads as generation 2"
stop_daemon TERM
finish
