#!/usr/bin/env bash
# 300 concurrent keep-alive connections each sending /health: every request answered.
. "$(dirname "$0")/lib.sh"
write_config
start_daemon
"$LOADGEN" --url "$BASE/health" --connections 300 --requests-per-conn 20 --max-seconds 60 > "$WORK/load.json" \
  || fail "not every request answered: $(cat "$WORK/load.json")"
assert_eq 6000 "$("$JSONQ" '.status.200' < "$WORK/load.json")" "200 answers"
opened=$("$JSONQ" .connections_opened < "$WORK/load.json")
[ "$opened" -le 330 ] || fail "keep-alive not kept: $opened connections opened for 300 clients"
ok "300 keep-alive connections x 20 /health: 6000 answered 200 over $opened connections"
stop_daemon TERM
finish
