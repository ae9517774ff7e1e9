#!/usr/bin/env bash
# The systemd notify protocol, with this test playing systemd: READY=1 as soon as HTTP serves
# (before recovery has finished), STATUS= phases, RELOADING=1/READY=1 around a SIGHUP,
# WATCHDOG=1 about every WATCHDOG_USEC/2, STOPPING=1 at SIGTERM; an abstract socket works too.
. "$(dirname "$0")/lib.sh"
LISTEN="$(dirname "$0")/../tools/notify_listen.py"
NOTES="$WORK/notify.log"

# listen SOCKET: starts the listener, waits until it is bound.
listen() {
  : > "$NOTES"
  python3 "$LISTEN" "$1" "$NOTES" &
  LISTENER=$!
  for _ in $(seq 1 100); do grep -q LISTENING "$NOTES" && return 0; sleep 0.05; done
  fail "the notify listener did not start"
}
# wait_note PATTERN [after-line]: waits (10 s) for a message matching PATTERN after line N.
wait_note() {
  local after="${2:-0}"
  for _ in $(seq 1 200); do
    tail -n "+$((after + 1))" "$NOTES" | grep -qE "$1" && return 0
    sleep 0.05
  done
  echo "--- notify messages"; cat "$NOTES"
  fail "no notify message matching '$1'"
}
# line_of PATTERN [after-line]: line number of the first match after line N.
line_of() {
  awk -v re="$1" -v after="${2:-0}" 'NR > after && $0 ~ re { print NR; exit }' "$NOTES"
}

write_config
listen "$WORK/notify.sock"
export NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=1000000
start_daemon
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_note 'READY=1'
first_ready=$(line_of 'READY=1')
grep -n '' "$NOTES" | grep -q "^$first_ready:.*STATUS=starting" || fail "first READY=1 is not sent in phase starting: $(sed -n "${first_ready}p" "$NOTES")"
wait_ready
wait_note 'STATUS=serving' "$first_ready"
ok "READY=1 as HTTP serves (phase starting), STATUS=serving once recovery has finished"

before=$(wc -l < "$NOTES")
kill -HUP "$DAEMON_PID"
wait_note 'RELOADING=1' "$before"
reloading=$(line_of 'RELOADING=1' "$before")
wait_note 'READY=1' "$reloading"
msg=$(sed -n "${reloading}p" "$NOTES")
usec=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<< "$msg")
[ -n "$usec" ] || fail "RELOADING=1 without MONOTONIC_USEC: $msg"
now=$(python3 -c 'import time; print(int(time.monotonic() * 1e6))')
[ $((now - usec)) -ge 0 ] && [ $((now - usec)) -lt 60000000 ] || fail "MONOTONIC_USEC $usec is not CLOCK_MONOTONIC (now $now)"
grep -q 'STATUS=reloading' <<< "$msg" || fail "RELOADING=1 without STATUS=reloading: $msg"
http GET /api/v1/system/status >/dev/null
assert_eq 2 "$(jq_body .result.generation)" "generation after SIGHUP"
ok "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1"

# Bad config: the reload fails, but systemd must still hear READY=1 (the old one serves).
before=$(wc -l < "$NOTES")
set_key server workers 7
kill -HUP "$DAEMON_PID"
wait_note 'RELOADING=1' "$before"
wait_note 'READY=1' "$(line_of 'RELOADING=1' "$before")"
set_key server workers 4
ok "a failed reload still ends in READY=1"

# Cadence: WATCHDOG_USEC=1 s means a ping every 0.5 s; count over 4 s, generous bounds.
start_line=$(wc -l < "$NOTES")
sleep 4
pings=$(tail -n "+$((start_line + 1))" "$NOTES" | grep -c 'WATCHDOG=1' || true)
[ "$pings" -ge 4 ] && [ "$pings" -le 16 ] || fail "$pings WATCHDOG=1 in 4 s, expected about 8"
ok "WATCHDOG=1 at half of WATCHDOG_USEC: $pings pings in 4 s"

before=$(wc -l < "$NOTES")
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
tail -n "+$((before + 1))" "$NOTES" | grep -q 'STOPPING=1' || fail "no STOPPING=1 at SIGTERM"
tail -n "+$((before + 1))" "$NOTES" | grep -q 'STATUS=stopping' || fail "no STATUS=stopping at SIGTERM"
ok "SIGTERM: STOPPING=1, exit 0"
kill "$LISTENER"; wait "$LISTENER" 2>/dev/null || true

# An abstract socket, and no watchdog asked for: READY=1 and no ping.
abstract="@skald-test-$$-$RANDOM"
listen "$abstract"
export NOTIFY_SOCKET="$abstract"
start_daemon
unset NOTIFY_SOCKET
wait_note 'READY=1'
wait_ready
sleep 0.5
grep -q 'WATCHDOG=1' "$NOTES" && fail "WATCHDOG=1 sent although WATCHDOG_USEC is unset"
stop_daemon TERM
wait_note 'STOPPING=1'
ok "abstract socket ($abstract): READY=1 and STOPPING=1, no pings without WATCHDOG_USEC"
finish
