#!/usr/bin/env bash
# SIGTERM while a plugin call hangs (ignoring deadline and cancel): exit 0 within the deadline + 1 s,
# and the waiting clients get an answer.
. "$(dirname "$0")/lib.sh"
write_config
set_key embedding plugin test_embed_slow
set_key embedding hang on
set_key embedding dims 8
set_key server shutdown_timeout 2
start_daemon
wait_ready
for i in 1 2 3; do
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d '{"texts":["x"]}' "$BASE/api/v1/debug/embed" > "$WORK/curl$i" &
done
sleep 0.5
t0=$(date +%s%N)
stop_daemon TERM
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq 0 "$DAEMON_EXIT" "exit code"
[ "$elapsed_ms" -le 3000 ] || fail "exit took $elapsed_ms ms, over shutdown_timeout (2 s) + 1 s"
ok "SIGTERM with hanging plugin calls: exit 0 in $elapsed_ms ms"
wait
for i in 1 2 3; do assert_eq 503 "$(cat "$WORK/curl$i")" "client $i answer"; done
ok "every waiting client got 503"
finish
