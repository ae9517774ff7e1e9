#!/usr/bin/env bash
# WATCHDOG=1 stops while the worker pool is stuck: one worker, hung in a plugin call that ignores
# its deadline. Pings resume never (the call never returns), and SIGTERM still exits 0.
. "$(dirname "$0")/lib.sh"
LISTEN="$(dirname "$0")/../tools/notify_listen.py"
NOTES="$WORK/notify.log"
write_config
set_key server workers 1
set_key server shutdown_timeout 1
set_key embedding plugin test_embed_slow
set_key embedding hang on
set_key embedding dims 8
set_key vector dims 8
python3 "$LISTEN" "$WORK/notify.sock" "$NOTES" &
for _ in $(seq 1 100); do grep -q LISTENING "$NOTES" 2>/dev/null && break; sleep 0.05; done
export NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=1000000
start_daemon
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_ready
sleep 2
pings=$(grep -c 'WATCHDOG=1' "$NOTES" || true)
[ "$pings" -ge 2 ] || fail "only $pings WATCHDOG=1 while healthy"
ok "healthy: $pings pings in the first two seconds"

curl -s -o /dev/null --max-time 30 -X POST -d '{"texts":["x"]}' "$BASE/api/v1/debug/embed" &
# The hung call takes the only worker; within two half periods a probe is stuck behind it.
sleep 1.5
start_line=$(wc -l < "$NOTES")
sleep 2
late=$(tail -n "+$((start_line + 1))" "$NOTES" | grep -c 'WATCHDOG=1' || true)
assert_eq 0 "$late" "WATCHDOG=1 while the only worker is stuck"
grep -q 'watchdog: not pinging systemd: no worker' "$LOG" || fail "the skipped pings are not logged"
http GET /health >/dev/null
assert_eq 200 "$(status)" "/health while the pool is stuck"
ok "stuck worker pool: no WATCHDOG=1 for 2 s (systemd would restart), /health still 200"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
ok "SIGTERM: exit 0"
finish
