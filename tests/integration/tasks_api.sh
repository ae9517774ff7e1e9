#!/usr/bin/env bash
# Tasks: get, list (filters, limit, newest first), cancel (412 once ended), 404 for another
# account's or user's task; a busy import target (409); wait timeouts (504) with a slow embedder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
set_key embedding plugin test_embed_slow
set_key embedding dims 64
set_key embedding delay_ms 5000
start_daemon
wait_ready

printf '# Alpha\n\nAlpha document.\n' > "$WORK/alpha.md"
add_upload "$WORK/alpha.md" '"to":"viking://resources/alpha"' acct_a
assert_eq 200 "$(status)" "add alpha"
T1=$(jq_body .result.task_id)
ahttp acct_a GET "/api/v1/tasks/$T1" > /dev/null
assert_eq 200 "$(status)" "get own task"
assert_eq running "$(jq_body .result.status)" "task running while the embedder is slow"
for f in task_id task_type status created_at updated_at created_at_iso updated_at_iso resource_id stage; do
  jq_body ".result.$f" > /dev/null || fail "task record has no $f"
done
[[ "$(jq_body .result.created_at_iso)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] || fail "created_at_iso"
ok "get: own task with every field, running"

# Same `to` while the first import runs: 409, and nothing changes.
add_upload "$WORK/alpha.md" '"to":"viking://resources/alpha"' acct_a
assert_error 409 CONFLICT "second import into a busy target"
assert_eq path_busy "$(jq_body .error.details.conflict_type)" "conflict type"
ok "import into a target whose import still runs: 409 CONFLICT path_busy"

ahttp acct_b GET "/api/v1/tasks/$T1" > /dev/null
assert_error 404 NOT_FOUND "another account's task"
curl -s -o "$WORK/body" -w '%{http_code}' -H 'X-OpenViking-Account: acct_a' -H 'X-OpenViking-User: other' \
  "$BASE/api/v1/tasks/$T1" > "$WORK/status"
assert_error 404 NOT_FOUND "another user's task"
ahttp acct_a GET /api/v1/tasks/00000000-0000-4000-8000-000000000000 > /dev/null
assert_error 404 NOT_FOUND "unknown task"
ahttp acct_b POST "/api/v1/tasks/$T1/cancel" '{}' > /dev/null
assert_error 404 NOT_FOUND "cancel another account's task"
ok "another account's or user's task, and an unknown one: 404 (get and cancel)"

# wait=true and system/wait time out while the slow embedder works: 504, the work goes on.
printf '# Beta\n\nBeta document.\n' > "$WORK/beta.md"
add_upload "$WORK/beta.md" '"to":"viking://resources/beta","wait":true,"timeout":0.2' acct_a
assert_error 504 DEADLINE_EXCEEDED "wait=true past its timeout"
assert_eq add_resource "$(jq_body .error.details.operation)" "504 details.operation"
ahttp acct_a POST /api/v1/system/wait '{"timeout":0.2}' > /dev/null
assert_error 504 DEADLINE_EXCEEDED "system/wait past its timeout"
ok "wait=true and system/wait past their timeout: 504 DEADLINE_EXCEEDED"

ahttp acct_a GET /api/v1/tasks > /dev/null
assert_eq 200 "$(status)" "list"
assert_eq 2 "$(json_len .result)" "tasks of acct_a"
assert_eq viking://resources/beta "$(jq_body .result[0].resource_id)" "newest first"
ahttp acct_a GET '/api/v1/tasks?resource_id=viking://resources/alpha/' > /dev/null
assert_eq 1 "$(json_len .result)" "filter by resource_id"
assert_eq "$T1" "$(jq_body .result[0].task_id)" "filtered task"
ahttp acct_a GET '/api/v1/tasks?task_type=session_commit' > /dev/null
assert_eq '[]' "$(jq_body .result)" "filter by task_type"
ahttp acct_a GET '/api/v1/tasks?limit=1' > /dev/null
assert_eq 1 "$(json_len .result)" "limit=1"
ahttp acct_a GET '/api/v1/tasks?limit=201' > /dev/null
assert_error 400 INVALID_ARGUMENT "limit over 200"
ahttp acct_a GET '/api/v1/tasks?limit=0' > /dev/null
assert_error 400 INVALID_ARGUMENT "limit 0"
ahttp acct_b GET /api/v1/tasks > /dev/null
assert_eq '[]' "$(jq_body .result)" "acct_b sees no task"
ok "list: newest first, filters (resource_id, task_type), limit 1..200, other accounts see none"

ahttp acct_a POST "/api/v1/tasks/$T1/cancel" '{}' > /dev/null
assert_eq 200 "$(status)" "cancel ($(cat "$WORK/body"))"
assert_eq cancelled "$(jq_body .result.status)" "status after cancel"
ahttp acct_a POST "/api/v1/tasks/$T1/cancel" '{}' > /dev/null
assert_error 412 FAILED_PRECONDITION "cancel of a cancelled task"
ok "cancel: running → cancelled; again: 412 FAILED_PRECONDITION"

wait_queues acct_a
ahttp acct_a GET '/api/v1/tasks?status=completed' > /dev/null
assert_eq 1 "$(json_len .result)" "completed tasks"
assert_eq viking://resources/beta "$(jq_body .result[0].resource_id)" "the beta task completed"
T2=$(jq_body .result[0].task_id)
ahttp acct_a POST "/api/v1/tasks/$T2/cancel" '{}' > /dev/null
assert_error 412 FAILED_PRECONDITION "cancel of a completed task"
ahttp acct_a GET "/api/v1/tasks/$T1" > /dev/null
assert_eq cancelled "$(jq_body .result.status)" "a cancelled task stays cancelled"
add_upload "$WORK/alpha.md" '"to":"viking://resources/alpha","wait":true,"timeout":60' acct_a
assert_eq 200 "$(status)" "re-import once the target is free ($(cat "$WORK/body"))"
ok "after the queues drain: beta completed (cancel → 412), alpha free for a re-import"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
