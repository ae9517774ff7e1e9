#!/usr/bin/env bash
# One session's phase 2 hangs at the model while that session commits seventy more times: its
# lane holds only a couple of those jobs (the rest wait in the queue), so the commits of other
# sessions are still leased and complete meanwhile; once the hanging commit is cancelled, the
# wedged session's archives all complete, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config "stuck_abort_ms = 600000"
set_key server call_timeout 120
start_daemon
wait_ready

add_msg wedged "please HANG here"
T=$(commit wedged)
: > "$WORK/tasks"
for i in $(seq 1 70); do
  add_msg wedged "note $i about the migration"
  commit wedged >> "$WORK/tasks"
done
http GET /api/v1/observer/lock > /dev/null
DEPTH=$(pyq '[l["queue_depth"] for l in b["result"]["lanes"] if l["session_uri"].endswith("/wedged")][0]')
[ "$DEPTH" -le 2 ] || fail "the wedged lane holds $DEPTH queued jobs"
assert_eq running "$(task_status "$T")" "the hanging commit"
for s in other1 other2 other3; do
  add_msg "$s" "My name is $s"
  T2=$(commit "$s")
  assert_eq completed "$(wait_task "$T2" 20)" "commit of $s behind 70 queued jobs of another session"
done
ok "70 commits queued behind a hanging phase 2: its lane holds $DEPTH, other sessions' commits complete"

http POST "/api/v1/tasks/$T/cancel" '{}' > /dev/null
assert_eq cancelled "$(jq_body .result.status)" "cancel the hanging commit"
for t in $(cat "$WORK/tasks"); do
  assert_eq completed "$(wait_task "$t" 60)" "queued commit $t"
done
http GET /api/v1/sessions/wedged > /dev/null
assert_eq 71 "$(jq_body .result.commit_count)" "archives of the wedged session"
ok "after the cancel the wedged session's 70 queued commits complete"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (sanitizer reports fail it)"
finish
