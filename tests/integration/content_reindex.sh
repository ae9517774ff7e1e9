#!/usr/bin/env bash
# content reindex: vectors_only, semantic_and_vectors, prune_orphans (dry run and for real), the
# vector store rebuilt after its files were deleted, and bad input.
. "$(dirname "$0")/fs_lib.sh"
VEC="$WORK/vectors.db" # outside the data dir, so a second data dir can share it
start_store "[vector]
file = $VEC"

L=viking://resources/lib
write_file "$L/a.md" '# Alpha\n\nAbout alpha.\n' create '"wait":true'
write_file "$L/sub/b.md" '# Beta\n\nAbout beta.\n' create '"wait":true'
records=$(vector_records "$L")
[ "$records" -ge 6 ] || fail "expected L0+L1 of lib and sub and L2 of two files; dry run saw $records"
ok "setup: two files written and processed ($records vector records under $L)"

post /api/v1/content/reindex "{\"uri\":\"$L\"}"
expect 200 "" "reindex (defaults: vectors_only, wait)"
assert_eq completed "$(jq_body .result.status)" "status"
assert_eq vectors_only "$(jq_body .result.mode)" "mode"
assert_eq resource "$(jq_body .result.object_type)" "object_type"
assert_eq "$L" "$(jq_body .result.uri)" "uri"
[ "$(jq_body .result.scanned_records)" -ge 3 ] || fail "scanned_records $(jq_body .result.scanned_records)"
[ "$(jq_body .result.rebuilt_records)" -ge 1 ] || fail "rebuilt_records $(jq_body .result.rebuilt_records)"
assert_eq 0 "$(jq_body .result.failed_records)" "failed_records"
assert_eq '[]' "$(jq_body .result.warnings)" "warnings"
for f in deleted_records would_delete_records unsupported_records duration_ms; do
  jq_body ".result.$f" > /dev/null || fail "reindex result has no $f"
done
assert_eq "$records" "$(vector_records "$L")" "vectors after vectors_only"
ok "vectors_only with wait: the completed result shape; the records are rebuilt, not duplicated"

post /api/v1/content/reindex "{\"uri\":\"$L\",\"mode\":\"semantic_and_vectors\",\"recursive\":true}"
expect 200 "" "semantic_and_vectors"
assert_eq completed "$(jq_body .result.status)" "status"
assert_eq semantic_and_vectors "$(jq_body .result.mode)" "mode"
get /api/v1/content/overview "uri=$L/sub"
case "$(jq_body .result)" in *b.md*) ;; *) fail "sub's overview lost b.md: $(jq_body .result)" ;; esac
post /api/v1/content/reindex "{\"uri\":\"$L/a.md\",\"wait\":false}"
expect 200 "" "reindex without wait"
assert_eq accepted "$(jq_body .result.status)" "status without wait"
RT=$(jq_body .result.task_id)
[ -n "$RT" ] || fail "no task_id without wait"
for _ in $(seq 1 100); do
  get "/api/v1/tasks/$RT"
  [ "$(jq_body .result.status)" = completed ] && break
  sleep 0.05
done
assert_eq completed "$(jq_body .result.status)" "the task of the reindex without wait"
assert_eq vectors_only "$(jq_body .result.result.mode)" "its result keeps the reindex shape"
assert_eq completed "$(jq_body .result.result.status)" "its result's status"
[ "$(jq_body .result.result.rebuilt_records)" -ge 1 ] || fail "its rebuilt_records: $(cat "$WORK/body")"
ok "semantic_and_vectors regenerates L0/L1 then vectors; wait=false answers accepted with a task_id"

stop_daemon TERM
rm -f "$VEC" "$VEC-wal" "$VEC-shm"
start_daemon
wait_ready
assert_eq 0 "$(vector_records "$L")" "records after the vector store's files were deleted"
post /api/v1/content/reindex "{\"uri\":\"viking://\"}"
expect 200 "" "reindex of everything"
assert_eq global_namespace "$(jq_body .result.object_type)" "object_type of viking://"
assert_eq "$records" "$(vector_records "$L")" "records rebuilt from the store"
ok "vector store files deleted: reindex vectors_only of viking:// rebuilds every record"

# A second data dir on the same vector file: every record there is an orphan for it.
stop_daemon TERM
set_key server data_dir "$WORK/data2"
start_daemon
wait_ready
post /api/v1/fs/mkdir "{\"uri\":\"$L/a.md\"}" # a directory where the file was: its L2 record is stale
expect 200 "" "mkdir over the old file's name"
post /api/v1/content/reindex "{\"uri\":\"$L\",\"mode\":\"prune_orphans\",\"dry_run\":true}"
expect 200 "" "prune dry run"
assert_eq "$records" "$(jq_body .result.scanned_records)" "records scanned"
assert_eq "$records" "$(jq_body .result.would_delete_records)" "orphans found"
assert_eq 0 "$(jq_body .result.deleted_records)" "a dry run deletes nothing"
assert_eq "$records" "$(vector_records "$L")" "records after the dry run"
post /api/v1/content/reindex "{\"uri\":\"$L\",\"mode\":\"prune_orphans\"}"
expect 200 "" "prune"
assert_eq "$records" "$(jq_body .result.deleted_records)" "orphans deleted"
assert_eq 0 "$(vector_records "$L")" "records left after the prune"
post /api/v1/content/reindex '{"uri":"viking://resources/never/was","mode":"prune_orphans"}'
expect 200 "" "prune of a URI that does not exist"
ok "prune_orphans: dry_run counts orphans (gone nodes, a file's record on a directory), then deletes them"

for body in \
  "{\"uri\":\"$L\",\"dry_run\":true}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$L\",\"mode\":\"everything\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$L\",\"force\":true}|400|INVALID_ARGUMENT" \
  "{\"mode\":\"vectors_only\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$L\",\"wait\":\"later\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$L\",\"tags\":[\"bad\"]}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$L\",\"tags\":[\"a=b\"],\"tag_mode\":\"merge\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"viking://resources/missing\"}|404|NOT_FOUND" \
  "{\"uri\":\"viking://user/default/sessions/s1\",\"mode\":\"prune_orphans\"}|400|UNSUPPORTED_URI"; do
  post /api/v1/content/reindex "${body%%|*}"
  rest=${body#*|}
  expect "${rest%%|*}" "${rest#*|}" "reindex ${body%%|*}"
done
get /api/v1/fs/attrs "uri=$L"
assert_eq '[]' "$(jq_body .result.attrs.tags)" "tags after rejected reindexes"
ok "reindex errors: dry_run without prune_orphans, bad mode/fields/types/tags, 404 missing, sessions"

post /api/v1/content/reindex '{"uri":"viking://user/default","mode":"prune_orphans","dry_run":true}'
assert_eq user_namespace "$(jq_body .result.object_type)" "object_type of a user space"
post /api/v1/content/reindex '{"uri":"viking://user/default/memories","mode":"prune_orphans","dry_run":true}'
assert_eq memory "$(jq_body .result.object_type)" "object_type of memories"
post /api/v1/content/reindex '{"uri":"viking://agent/skills","mode":"prune_orphans","dry_run":true}'
assert_eq skill_namespace "$(jq_body .result.object_type)" "object_type of the skills root"
post /api/v1/content/reindex "{\"uri\":\"$L\",\"tags\":[\"team=search\"],\"recursive\":true}"
expect 200 "" "reindex with tags"
get /api/v1/fs/attrs "uri=$L/a.md"
assert_eq '["team=search"]' "$(jq_body .result.attrs.tags)" "tags set by reindex"
ok "object_type by target; tags given to reindex are applied to the subtree"

stop_store
finish
