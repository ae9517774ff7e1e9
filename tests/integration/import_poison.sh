#!/usr/bin/env bash
# A document the VLM refuses (test_vlm_poison fails on a marker) does not stop the others: its
# task fails with the error, every other task completes, the queue shows the dead job (to its
# own account only) and the observer turns unhealthy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
set_key vlm plugin test_vlm_poison
set_key vlm marker NightshadeMarker
start_daemon
wait_ready

"$INGEST" --base "$BASE" --account acct_p --parent viking://resources/batch --prefix doc \
  --count 8 --clients 4 --size 1024 --marker NightshadeMarker --marker-index 3 > "$WORK/ingest.json" ||
  fail "ingest: $(cat "$WORK/ingest.json")"
wait_queues acct_p
errors=$(jq_body .result.Semantic.error_count)
[ "$errors" -ge 1 ] || fail "Semantic error_count $errors: $(cat "$WORK/body")"
case "$(jq_body .result.Semantic.errors)" in
  *viking://resources/batch/doc_00003*refused*) ;;
  *) fail "system/wait errors do not name the poison document: $(cat "$WORK/body")" ;;
esac
ok "system/wait: Semantic error_count $errors, the error names doc_00003 and the refusal"

ahttp acct_p GET '/api/v1/tasks?limit=200' > /dev/null
assert_eq 8 "$(json_len .result)" "tasks"
completed=0 failed=0
for i in $(seq 0 7); do
  st=$(jq_body ".result[$i].status")
  if [ "$(jq_body ".result[$i].resource_id")" = viking://resources/batch/doc_00003 ]; then
    assert_eq failed "$st" "the poison task"
    case "$(jq_body ".result[$i].error")" in *refused*) ;; *) fail "poison task error: $(jq_body ".result[$i].error")" ;; esac
    failed=$((failed + 1))
  else
    assert_eq completed "$st" "task of $(jq_body ".result[$i].resource_id")"
    completed=$((completed + 1))
  fi
done
assert_eq 7 "$completed" "completed tasks"
assert_eq 1 "$failed" "failed tasks"
for i in 0 1 2 4 5 6 7; do
  ahttp acct_p POST /api/v1/system/consistency "{\"uri\":\"viking://resources/batch/doc_0000$i\"}" > /dev/null
  assert_eq true "$(jq_body .result.ok)" "doc_0000$i consistency"
  assert_eq 3 "$(jq_body .result.expected_count)" "doc_0000$i has L0, L1, L2 records"
done
ok "7 tasks completed with L0/L1 and vectors, the poison one failed with the VLM's refusal"

ahttp acct_p GET /api/v1/observer/queue > /dev/null
assert_eq false "$(jq_body .result.is_healthy)" "queue healthy with a dead job"
assert_eq true "$(jq_body .result.has_errors)" "queue has_errors"
ahttp acct_p GET /api/v1/observer/system > /dev/null
assert_eq false "$(jq_body .result.is_healthy)" "system healthy"
assert_eq "queue has errors" "$(jq_body .result.errors[0])" "system errors"
ahttp acct_other POST /api/v1/system/wait '{"timeout":30}' > /dev/null
assert_eq '[]' "$(jq_body .result.Semantic.errors)" "another account sees no error text"
ok "observer: queue and system unhealthy; another account gets counts but no error text"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
