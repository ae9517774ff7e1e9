#!/usr/bin/env bash
# /health, /ready, status, and the error envelope for bad requests.
. "$(dirname "$0")/lib.sh"
write_config
set_key server max_body 1024
start_daemon
http GET /health >/dev/null
assert_eq 200 "$(status)" "/health status"
assert_eq ok "$(jq_body .status)" "/health status field"
assert_eq true "$(jq_body .healthy)" "/health healthy"
[ -n "$(jq_body .version)" ] || fail "/health has no version"
ok "/health answers 200 with status, healthy, version"

wait_ready
http GET /ready >/dev/null
assert_eq ready "$(jq_body .status)" "/ready status"
assert_eq ok "$(jq_body .checks.plugins)" "/ready plugins check"
ok "/ready turns 200 with its checks"

http GET /api/v1/system/status >/dev/null
assert_eq 200 "$(status)" "status"
assert_eq ok "$(jq_body .status)" "status envelope"
assert_eq 1 "$(jq_body .result.generation)" "generation"
for i in 0 1 2 3 4; do
  for f in section kind name version abi file; do
    [ -n "$(jq_body ".result.plugins[$i].$f")" ] || fail "plugin $i has no $f"
  done
done
assert_eq 1.0 "$(jq_body .result.plugins[0].abi)" "plugin ABI"
assert_eq queue_sqlite "$(jq_body .result.queue.backend)" "queue backend"
ok "status lists 5 plugins with kind, name, version, ABI, file, and the queue"

http GET /no/such/path >/dev/null
assert_eq 404 "$(status)" "unknown path"
assert_eq error "$(jq_body .status)" "404 envelope"
assert_eq NOT_FOUND "$(jq_body .error.code)" "404 code"
ok "unknown path: 404 NOT_FOUND in the error envelope"

http POST /api/v1/debug/embed '{"texts": [' >/dev/null
assert_eq 400 "$(status)" "malformed JSON"
assert_eq INVALID_ARGUMENT "$(jq_body .error.code)" "malformed JSON code"
[ -n "$(jq_body .error.message)" ] || fail "malformed JSON has no message"
http POST /api/v1/debug/embed '{"texts": [1]}' >/dev/null
assert_eq 400 "$(status)" "wrong type"
ok "malformed JSON and wrong types: 400 INVALID_ARGUMENT with a message"

big=$(head -c 2048 /dev/zero | tr '\0' 'a')
http POST /api/v1/debug/embed "{\"texts\": [\"$big\"]}" >/dev/null
assert_eq 413 "$(status)" "body over max_body"
assert_eq error "$(jq_body .status)" "413 envelope"
ok "body over max_body: 413 in the error envelope"

http POST /api/v1/debug/embed '{"texts": ["hello world"]}' >/dev/null
assert_eq 200 "$(status)" "embed after errors"
assert_eq 64 "$(jq_body .result.dims)" "embed dims"
ok "the server still serves after bad requests"

stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM"
ok "SIGTERM: exit 0"
finish
