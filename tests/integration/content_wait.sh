#!/usr/bin/env bash
# With a slow embedding backend: write wait=true past its timeout answers 504 and the work goes
# on; a second reindex of a URI whose reindex is still running is refused with 409.
. "$(dirname "$0")/fs_lib.sh"
start_store "[embedding]
plugin = test_embed_slow
dims = 64
delay_ms = 1500"

eventually() {
  local what="$1"
  shift
  for _ in $(seq 1 600); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  fail "$what: still not so after 30 s"
}
has_records() { [ "$(vector_records "$1")" -ge "$2" ]; }

W=viking://resources/w
post /api/v1/content/write "{\"uri\":\"$W/slow.md\",\"content\":\"slow to embed\",\"mode\":\"create\",\"wait\":true,\"timeout\":0.5}"
expect 504 DEADLINE_EXCEEDED "write wait past its timeout"
assert_eq "content write" "$(jq_body .error.details.operation)" "details.operation"
assert_eq 0.5 "$(jq_body .error.details.timeout)" "details.timeout"
get /api/v1/content/read "uri=$W/slow.md"
expect 200 "" "the write itself is stored"
assert_eq "slow to embed" "$(jq_body .result)" "content"
eventually "the file's vector after the 504" has_records "$W/slow.md" 1
ok "write wait=true past its timeout: 504 DEADLINE_EXCEEDED {operation, timeout}; stored, and processed later"

write_file "$W/two.md" 'second'
write_file "$W/three.md" 'third'
post /api/v1/content/reindex "{\"uri\":\"$W\",\"wait\":false}"
expect 200 "" "reindex without wait"
assert_eq accepted "$(jq_body .result.status)" "accepted"
task=$(jq_body .result.task_id)
post /api/v1/content/reindex "{\"uri\":\"$W\"}"
expect 409 CONFLICT "a second reindex of the same URI"
assert_eq "$task" "$(jq_body .error.details.task_id)" "the conflict names the running task"
post /api/v1/content/reindex "{\"uri\":\"$W/two.md\",\"mode\":\"prune_orphans\",\"dry_run\":true}"
expect 200 "" "a reindex of another URI"
ok "reindex wait=false: accepted with a task; the same URI again while it runs: 409 CONFLICT"

post /api/v1/content/reindex "{\"uri\":\"$W\",\"wait\":true}"
for _ in $(seq 1 600); do
  [ "$(status)" = 200 ] && break
  [ "$(status)" = 409 ] || fail "reindex after the first: $(status) $(cat "$WORK/body")"
  sleep 0.05
  post /api/v1/content/reindex "{\"uri\":\"$W\",\"wait\":true}"
done
expect 200 "" "reindex once the first is over"
assert_eq completed "$(jq_body .result.status)" "the waited reindex completes"
ok "once the first run is over, the URI can be reindexed again, and wait=true waits for it"

stop_store
finish
