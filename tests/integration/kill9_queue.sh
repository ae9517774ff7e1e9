#!/usr/bin/env bash
# kill -9 with 10,000 queued items: all there after restart.
. "$(dirname "$0")/lib.sh"
write_config
start_daemon
wait_ready
assert_eq 200 "$(http_code POST /api/v1/debug/enqueue '{"topic":"hold.k9","count":10000}')" "enqueue"
assert_eq 10000 "$(queue_pending hold.k9)" "pending before kill"
stop_daemon KILL
start_daemon
wait_ready
assert_eq 10000 "$(queue_pending hold.k9)" "pending after kill -9 and restart"
ok "kill -9 with 10000 queued items: all 10000 pending after restart"
stop_daemon TERM
finish
