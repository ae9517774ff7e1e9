#!/usr/bin/env bash
# POST /api/v1/tasks/{id}/cancel stops the work in flight through its call context and frees the
# lane and the worker slot within 2 s: a session commit whose phase 2 waits on a model that never
# answers (its lane is free when the cancel returns, its archive ends cancelled, the next commit
# of the session completes), and an add_resource whose embedding call takes 30 s (the call
# returns cancelled at once and its job is put back for later), and an admin_reindex whose
# embedding call takes 30 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config "stuck_abort_ms = 600000"
set_key server call_timeout 60
set_key embedding plugin test_embed_slow
set_key embedding delay_ms 30000
start_daemon
wait_ready

# elapsed_ms CMD...: runs CMD, prints how long it took.
elapsed_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" > /dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# embedding_leased: embedding jobs in flight now.
embedding_leased() {
  http GET /api/v1/system/status > /dev/null
  pyq 'sum(t["leased"] for t in b["result"]["queue"]["topics"] if t["topic"] == "embedding")'
}

# cancel_in_flight TASK WHAT: waits for an embedding call, cancels TASK, checks the call returned;
# CANCEL_MS gets how long the cancel took.
cancel_in_flight() {
  for _ in $(seq 1 200); do
    [ "$(embedding_leased)" -ge 1 ] && break
    sleep 0.05
  done
  [ "$(embedding_leased)" -ge 1 ] || fail "$2: no embedding call in flight"
  local before
  before=$(grep -c 'call cancelled; retry in' "$LOG" || true)
  CANCEL_MS=$(elapsed_ms http POST "/api/v1/tasks/$1/cancel" '{}')
  assert_eq cancelled "$(jq_body .result.status)" "$2 cancelled ($(cat "$WORK/body"))"
  [ "$CANCEL_MS" -lt 2000 ] || fail "$2: cancel took $CANCEL_MS ms"
  [ "$(grep -c 'call cancelled; retry in' "$LOG" || true)" -gt "$before" ] ||
    fail "$2: the embedding call did not return cancelled when the cancel answered"
}

md_doc Alpha 1 > "$WORK/alpha.md"
add_upload "$WORK/alpha.md" '"to":"viking://resources/alpha"'
assert_eq 200 "$(status)" "add_resource"
A=$(jq_body .result.task_id)
cancel_in_flight "$A" add_resource
ok "add_resource cancelled in $CANCEL_MS ms: its embedding call returned cancelled, the job goes back"

add_msg c1 "please HANG until cancelled" c1-1
T=$(commit c1)
for _ in $(seq 1 100); do
  http GET /api/v1/observer/lock > /dev/null
  [ "$(pyq '[l["work_kind"] for l in b["result"]["lanes"] if l["session_uri"].endswith("/c1")]')" = '["vlm_call"]' ] && break
  sleep 0.05
done
MS=$(elapsed_ms http POST "/api/v1/tasks/$T/cancel" '{}')
assert_eq 200 "$(status)" "cancel"
assert_eq cancelled "$(jq_body .result.status)" "cancelled task"
[ "$MS" -lt 2000 ] || fail "cancel took $MS ms"
http GET /api/v1/observer/lock > /dev/null
assert_eq '[]' "$(pyq '[l for l in b["result"]["lanes"] if l["session_uri"].endswith("/c1")]')" "the lane is free once the cancel answered"
assert_eq 0 "$(jq_body .result.model_slots.busy)" "the model slot is free"
http GET '/api/v1/content/read?uri=viking://user/default/sessions/c1/history/archive_001/.failed.json' > /dev/null
assert_eq cancelled "$(pyq 'json.loads(b["result"])["stage"]')" "the archive ended cancelled"
add_msg c1 "I prefer morning standups"
T2=$(commit c1)
assert_eq completed "$(wait_task "$T2" 20)" "the next commit of the session"
assert_eq c1-1 "$(stored_ids c1 | sort | head -1)" "the cancelled commit's archived message kept"
assert_eq cancelled "$(task_status "$T")" "the cancelled commit stays cancelled"
ok "session_commit cancelled in $MS ms: lane and model slot free, archive cancelled, next commit completes"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (sanitizer reports fail it)"

# admin_reindex: a document embedded quickly, then the embedder slowed by a reload; a reindex's
# 30 s embedding call is cancelled with its task.
set_key embedding delay_ms 0
start_daemon
wait_ready
http POST /api/v1/content/write '{"uri":"viking://resources/beta.md","content":"# Beta\n\nAbout beta.\n","mode":"create","wait":true}' > /dev/null
assert_eq 200 "$(status)" "write beta ($(cat "$WORK/body"))"
set_key embedding delay_ms 30000
http POST /api/v1/system/reload '{}' > /dev/null
assert_eq 200 "$(status)" "reload to the slow embedder ($(cat "$WORK/body"))"
http POST /api/v1/content/reindex '{"uri":"viking://resources/beta.md","wait":false}' > /dev/null
assert_eq 200 "$(status)" "reindex ($(cat "$WORK/body"))"
R=$(jq_body .result.task_id)
cancel_in_flight "$R" admin_reindex
http POST /api/v1/content/reindex '{"uri":"viking://resources/beta.md","wait":false}' > /dev/null
assert_eq 200 "$(status)" "a new reindex of the same URI once the first was cancelled"
ok "admin_reindex cancelled in $CANCEL_MS ms: its embedding call returned cancelled; the URI is free for a new run"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit after the reindex cancel"
finish
