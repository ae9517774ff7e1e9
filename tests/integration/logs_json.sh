#!/usr/bin/env bash
# log_format = json: every stderr line is one JSON object with ts, level and msg; each request
# line carries the request id (the client's when valid, else a new UUID) and the latency; every
# response carries X-Request-ID and X-Process-Time; /health is not logged; secrets never appear.
. "$(dirname "$0")/lib.sh"
write_config
set_key server log_format json
start_daemon
wait_ready

# headers ID: GET /ready with X-Request-ID: ID (none when empty); prints the response headers.
headers() {
  local args=(-s -D - -o /dev/null)
  [ -n "$1" ] && args+=(-H "X-Request-ID: $1")
  curl "${args[@]}" -H 'Authorization: Bearer sk-secret-bearer-4711' -H 'X-API-Key: sk-secret-key-4712' \
    "$BASE/ready" | tr -d '\r'
}
header_value() { awk -v h="$1" 'BEGIN { IGNORECASE = 1 } index(tolower($0), tolower(h) ":") == 1 { sub(/^[^:]*: */, ""); print }'; }

h=$(headers 'client-id_1.2:3')
assert_eq 'client-id_1.2:3' "$(header_value X-Request-ID <<< "$h")" "valid client id echoed"
pt=$(header_value X-Process-Time <<< "$h")
[[ "$pt" =~ ^[0-9]+\.[0-9]+$ ]] || fail "X-Process-Time '$pt' is not seconds"
uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
bad_id=$(headers 'has space')
gen1=$(header_value X-Request-ID <<< "$bad_id")
[[ "$gen1" =~ $uuid_re ]] || fail "invalid client id not replaced by a UUID4: '$gen1'"
long=$(printf 'a%.0s' $(seq 1 129))
gen2=$(header_value X-Request-ID <<< "$(headers "$long")")
[[ "$gen2" =~ $uuid_re ]] || fail "a 129-character id was not replaced: '$gen2'"
gen3=$(header_value X-Request-ID <<< "$(headers '')")
[[ "$gen3" =~ $uuid_re ]] || fail "no id sent, none generated: '$gen3'"
[ "$gen1" != "$gen3" ] || fail "two requests got the same generated id"
at128=$(printf 'b%.0s' $(seq 1 128))
assert_eq "$at128" "$(header_value X-Request-ID <<< "$(headers "$at128")")" "a 128-character id kept"
h404=$(curl -s -D - -o /dev/null -H 'X-Request-ID: on-a-404' "$BASE/nowhere" | tr -d '\r')
assert_eq on-a-404 "$(header_value X-Request-ID <<< "$h404")" "id on an error response"
[ -n "$(header_value X-Process-Time <<< "$h404")" ] || fail "no X-Process-Time on a 404"
ok "X-Request-ID: a valid client id is echoed, others replaced by UUID4s; X-Process-Time on every answer"

for _ in $(seq 1 20); do curl -s -o /dev/null "$BASE/health"; done
curl -s -o /dev/null -X POST -H 'Authorization: Bearer sk-secret-bearer-4711' \
  -d '{"texts": ["sk-secret-body-4713"]}' "$BASE/api/v1/debug/embed?api_key=sk-secret-query-4714"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"

python3 - "$LOG" "$gen1" <<'PY' || fail "log check failed"
import json, sys
path, gen1 = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8").read().splitlines()
assert lines, "empty log"
objs = []
for n, line in enumerate(lines, 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON (%s): %r" % (n, e, line))
    for k in ("ts", "level", "msg"):
        assert k in o, "line %d has no %s: %r" % (n, k, line)
    objs.append(o)
reqs = [o for o in objs if o["msg"] == "request"]
by_id = {o["request_id"]: o for o in reqs}
for rid, status in (("client-id_1.2:3", 200), (gen1, 200), ("on-a-404", 404)):
    o = by_id.get(rid)
    assert o, "no request line with id %s" % rid
    assert o["status"] == status, o
    assert isinstance(o["latency_ms"], (int, float)) and o["latency_ms"] >= 0, o
    assert o["method"] == "GET", o
assert by_id["on-a-404"]["path"] == "/nowhere"
assert not any(o.get("path") == "/health" for o in reqs), "/health was logged"
assert any(o.get("path") == "/api/v1/debug/embed" for o in reqs), "no line for the POST"
text = open(path, encoding="utf-8").read()
for secret in ("sk-secret-bearer-4711", "sk-secret-key-4712", "sk-secret-body-4713", "sk-secret-query-4714"):
    assert secret not in text, "secret %s is in the log" % secret
print("%d lines, all JSON; %d request lines" % (len(lines), len(reqs)))
PY
ok "every log line parses as JSON; request lines carry id, status and latency; no /health line, no secret"

: > "$LOG"
set_key server log_format text
start_daemon
curl -s -o /dev/null -H 'X-Request-ID: text-mode-1' "$BASE/ready"
stop_daemon TERM
grep -q 'info  request request_id=text-mode-1 method=GET path=/ready status=[0-9]* latency_ms=' "$LOG" ||
  fail "no text request line for text-mode-1"
ok "log_format = text: request lines as key=value"
finish
