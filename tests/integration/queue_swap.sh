#!/usr/bin/env bash
# Switching the queue backend sqlite -> memory -> sqlite with 10,000 items loses none.
. "$(dirname "$0")/lib.sh"
write_config
start_daemon
wait_ready
for _ in 1 2 3 4 5; do
  assert_eq 200 "$(http_code POST /api/v1/debug/enqueue '{"topic":"hold.swap","count":2000,"payload":"x"}')" "enqueue"
done
assert_eq 10000 "$(queue_pending hold.swap)" "pending before the swap"

swap_to() { # plugin
  set_key queue plugin "$1"
  kill -HUP "$DAEMON_PID"
  for _ in $(seq 1 200); do
    http GET /api/v1/system/status >/dev/null
    if [ "$(jq_body .result.queue.backend)" = "$1" ] && [ "$(queue_pending hold.swap)" = 10000 ]; then return 0; fi
    sleep 0.05
  done
  fail "after switching to $1: backend $(jq_body .result.queue.backend), pending $(queue_pending hold.swap)"
}
swap_to queue_memory
ok "sqlite -> memory: 10000 pending"
swap_to queue_sqlite
ok "memory -> sqlite: 10000 pending"
grep -q "moved 10000 items from queue_memory into queue_sqlite" "$LOG" || fail "no move logged"
stop_daemon TERM
start_daemon
assert_eq 10000 "$(queue_pending hold.swap)" "pending after a restart"
ok "after a restart on queue_sqlite: 10000 pending"
finish
