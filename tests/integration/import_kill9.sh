#!/usr/bin/env bash
# kill -9 in the middle of an import of 1,500 small documents (one add_resource call each, on
# queue_sqlite), restart: after waiting, every stored document has its L0/L1 and vectors, the
# consistency check finds 0 missing and 0 orphan records, no document is stored twice; then the
# documents the crash cut off are sent again and all 1,500 end complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready
N=1500
PARENT=viking://resources/k9

"$INGEST" --base "$BASE" --parent "$PARENT" --prefix doc --count $N --clients 4 --size 600 \
  --allow-failures > "$WORK/ingest1.json" 2> "$WORK/ingest1.err" &
INGEST_PID=$!
# Kill once a good part of the documents is stored.
for _ in $(seq 1 1200); do
  [ "$(glob_count default viking://resources 'k9/doc_*' 2>/dev/null || echo 0)" -ge 300 ] && break
  sleep 0.05
done
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
wait "$INGEST_PID" || true
echo "first run: $(cat "$WORK/ingest1.json")"

start_daemon
wait_ready
wait_queues
stored=$(glob_count default "$PARENT" 'doc_*')
[ "$stored" -ge 300 ] && [ "$stored" -lt $N ] || fail "$stored documents stored before the kill"
assert_eq 0 "$(glob_count default "$PARENT" 'doc_*_[0-9]*')" "documents stored twice"
assert_eq "$stored" "$(glob_count default "$PARENT" 'doc_*/doc_*.md')" "one file per stored document"
http POST /api/v1/system/consistency "{\"uri\":\"$PARENT\"}" > /dev/null
assert_eq 0 "$(jq_body .result.missing_record_count)" "missing records after restart ($(cat "$WORK/body" | head -c 600))"
assert_eq 0 "$(jq_body .result.orphan_record_count)" "orphan records after restart"
# Each document directory has L0 and L1 (2 records), its file L2 (1), the parent its own 2.
assert_eq $((stored * 3 + 2)) "$(jq_body .result.expected_count)" "expected records: every document has L0, L1 and L2"
http GET '/api/v1/tasks?status=running' > /dev/null
assert_eq '[]' "$(jq_body .result)" "tasks still running after the queues drained"
ok "kill -9 after $stored of $N documents: all $stored complete (L0/L1 + vectors), 0 missing, 0 orphan, no duplicates"

# The rest of the documents, sent again (the ones already stored are skipped by name).
ahttp default POST /api/v1/search/glob "{\"uri\":\"$PARENT\",\"pattern\":\"doc_*\",\"node_limit\":100000}" > "$WORK/stored.json"
"$INGEST" --base "$BASE" --parent "$PARENT" --prefix doc --count $N --clients 4 --size 600 \
  --skip-file "$WORK/stored.json" > "$WORK/ingest2.json" || fail "second run: $(cat "$WORK/ingest2.json")"
wait_queues
assert_eq $N "$(glob_count default "$PARENT" 'doc_*')" "documents after the second run"
assert_eq 0 "$(glob_count default "$PARENT" 'doc_*_[0-9]*')" "documents stored twice"
http POST /api/v1/system/consistency "{\"uri\":\"$PARENT\"}" > /dev/null
assert_eq true "$(jq_body .result.ok)" "consistency of all $N"
assert_eq $((N * 3 + 2)) "$(jq_body .result.expected_count)" "expected records for $N documents"
ok "the $((N - stored)) documents cut off, sent again: all $N complete, consistency ok"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
