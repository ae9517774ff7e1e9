#!/usr/bin/env bash
# Session lane liveness through GET /api/v1/observer/lock and the log: a busy lane is listed with
# its state, age, work kind and last progress; a lane held by an owner that no longer exists is
# classified stuck and released, and the commit queued behind it completes; a model call silent
# past the abort threshold is cancelled through its call context, its job goes back for a retry
# and the lane is released for it. Another session's commit completes meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config "stuck_abort_ms = 6000
abort_settle_ms = 1000"
set_key server call_timeout 60
start_daemon
wait_ready

# A lane held by a thread that has exited: stuck, released, and its session's commit runs.
http POST /api/v1/debug/lanes/dead1/orphan '{}' > /dev/null
assert_eq 200 "$(status)" "debug orphan"
add_msg dead1 "My name is Mary Jackson"
T=$(commit dead1)
assert_eq completed "$(wait_task "$T" 20)" "commit of the session whose lane had a dead owner"
wait_counter stuck 1
wait_counter released 1
grep -q 'event=session.stuck .*session=viking://user/default/sessions/dead1 classification=stuck reason=active_work_without_live_owner' "$LOG" ||
  fail "no session.stuck line for dead1"
grep -q 'session lane viking://user/default/sessions/dead1 released' "$LOG" || fail "no release line"
ok "a lane held by a dead owner: classified stuck, released, its commit completed"

# A model call that never answers: listed while busy, cancelled past the abort threshold.
add_msg stall1 "please HANG here"
T=$(commit stall1)
for _ in $(seq 1 100); do
  http GET /api/v1/observer/lock > /dev/null
  [ "$(pyq '[l["work_kind"] for l in b["result"]["lanes"] if l["session_uri"].endswith("/stall1")]')" = '["vlm_call"]' ] && break
  sleep 0.05
done
# The session's next commit is not held by its stuck phase 2: accepted at once, queued on the lane.
add_msg stall1 "I prefer tea in the afternoon"
TN=$(commit stall1)
assert_eq 0 "$(lanes_counter aborted)" "the commit answered while the phase 2 before it still hung"
LANE='[l for l in b["result"]["lanes"] if l["session_uri"].endswith("/stall1")][0]'
assert_eq processing "$(pyq "$LANE[\"state\"]")" "busy lane state"
assert_eq vlm_call "$(pyq "$LANE[\"work_kind\"]")" "busy lane work kind"
assert_eq archive_overview:started "$(pyq "$LANE[\"last_progress\"]")" "busy lane last progress"
assert_eq "$T" "$(pyq "$LANE[\"task_id\"]")" "busy lane task"
pyq "$LANE[\"age_ms\"] >= 0 and $LANE[\"owner\"][\"alive\"]" | grep -q true || fail "age and live owner: $(cat "$WORK/body")"
[[ "$(pyq 'b["result"]["status"]')" == *"/stall1"* ]] || fail "status table without the lane"
http GET /api/v1/observer/system > /dev/null
pyq 'sum(map(int, __import__("re").search(r"session lanes: (\d+) busy, (\d+) long_running, (\d+) stalled, (\d+) stuck", b["result"]["components"]["lock"]["status"]).groups())) >= 1' | grep -q true ||
  fail "observer/system's lock component does not count the busy lane: $(cat "$WORK/body")"
for _ in $(seq 1 100); do
  http GET /api/v1/observer/lock > /dev/null
  [ "$(pyq "$LANE[\"queue_depth\"]")" -ge 1 ] && break
  sleep 0.05
done
assert_eq 1 "$(pyq "$LANE[\"queue_depth\"]")" "the next archive waits on the lane"
# Meanwhile another session commits and completes.
add_msg busy2 "I prefer written updates"
T2=$(commit busy2)
assert_eq completed "$(wait_task "$T2" 20)" "another session's commit"
wait_counter aborted 1 20
grep -q 'session lane viking://user/default/sessions/stall1: vlm_call work silent for [0-9]* ms, past the abort threshold: cancelling its call' "$LOG" ||
  fail "no abort line"
grep -q 'event=session.stalled .*sessions/stall1' "$LOG" || fail "no session.stalled line"
for _ in $(seq 1 100); do
  http GET "/api/v1/tasks/$T" > /dev/null
  [[ "$(jq_body .result.error)" == *"cancelled: no progress past the abort threshold"* ]] && break
  sleep 0.05
done
[[ "$(jq_body .result.error)" == *"attempt 1 of 5 failed at summary: cancelled: no progress past the abort threshold"* ]] ||
  fail "the stalled job was not retried: $(cat "$WORK/body")"
assert_eq running "$(jq_body .result.status)" "the stalled commit is retried, not failed"
assert_eq 0 "$(lanes_counter force_released)" "the call honoured its cancel: no force release"
assert_eq completed "$(wait_task "$TN" 20)" "the next archive ran once the lane was released"
ok "a model call silent past the abort threshold: cancelled through its context, retried, lane released"

http POST "/api/v1/tasks/$T/cancel" '{}' > /dev/null
assert_eq cancelled "$(jq_body .result.status)" "cancel the stalled commit"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
