#!/usr/bin/env bash
# temp_upload + POST /api/v1/resources for Markdown (short, and long = split into a directory),
# plain text and a zip tree: each ends with its task completed, L0/L1 stored and every vector
# record present; naming (collisions, `to`, parent), wait=true, and the request errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready

# A short Markdown document: one file in a directory named after it. Without source_name the
# name is the uploaded file's, as upstream (not the temp_file_id's).
printf '# Notes\n\nShort notes about skald imports.\n' > "$WORK/notes.md"
add_upload "$WORK/notes.md"
assert_eq 200 "$(status)" "add notes.md ($(cat "$WORK/body"))"
assert_eq success "$(jq_body .result.status)" "add status"
assert_eq viking://resources/notes "$(jq_body .result.root_uri)" "root_uri"
TASK=$(jq_body .result.task_id)
[[ "$TASK" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "task id '$TASK' is not a UUID4"
jq_body .result.errors > /dev/null || fail "no errors array"
wait_queues
http GET "/api/v1/tasks/$TASK" > /dev/null
assert_eq 200 "$(status)" "task get"
assert_eq completed "$(jq_body .result.status)" "notes task status"
assert_eq add_resource "$(jq_body .result.task_type)" "task type"
assert_eq viking://resources/notes "$(jq_body .result.resource_id)" "task resource_id"
http POST /api/v1/system/consistency '{"uri":"viking://resources/notes"}' > /dev/null
assert_eq 200 "$(status)" "consistency"
assert_eq true "$(jq_body .result.ok)" "consistency ok ($(cat "$WORK/body"))"
# L0 + L1 of the directory and L2 of the file: the sidecars exist and so do their vectors.
assert_eq 3 "$(jq_body .result.expected_count)" "expected records (dir L0, L1; file L2)"
assert_eq 0 "$(jq_body .result.missing_record_count)" "missing records"
assert_eq 0 "$(jq_body .result.orphan_record_count)" "orphan records"
assert_eq 1 "$(glob_count default viking://resources/notes '*.md')" "notes.md stored"
if [ "$(http_code GET '/api/v1/content/abstract?uri=viking://resources/notes')" = 200 ]; then
  [ -n "$(jq_body .result)" ] || fail "empty abstract"
fi
ok "short .md without source_name: stored as notes/notes.md, task completed, L0/L1 and all 3 vector records present"

# A long Markdown document is split by its headings into a directory of section files.
md_doc Handbook 14 > "$WORK/handbook.md"
add_upload "$WORK/handbook.md" '"source_name":"handbook.md"'
assert_eq 200 "$(status)" "add handbook.md"
LONG_TASK=$(jq_body .result.task_id)
# no_split keeps the same document as one file.
add_upload "$WORK/handbook.md" '"source_name":"whole.md","args":{"parse_mode":"no_split"}'
assert_eq 200 "$(status)" "add handbook.md no_split"
wait_queues
n=$(glob_count default viking://resources/handbook '**')
[ "$n" -ge 3 ] || fail "handbook split into only $n nodes"
assert_eq 1 "$(glob_count default viking://resources/whole '**')" "no_split: one file"
http GET "/api/v1/tasks/$LONG_TASK" > /dev/null
assert_eq completed "$(jq_body .result.status)" "handbook task"
http POST /api/v1/system/consistency '{"uri":"viking://resources/handbook"}' > /dev/null
assert_eq true "$(jq_body .result.ok)" "handbook consistency ($(cat "$WORK/body"))"
ok "long .md: split into $n nodes (no_split: 1 file), task completed, consistency ok"

# Plain text with wait=true: the answer comes when processing is over, with queue_status.
printf 'plain text line one\nline two mentions lanterns\n' > "$WORK/plain.txt"
add_upload "$WORK/plain.txt" '"wait":true,"timeout":120'
assert_eq 200 "$(status)" "add plain.txt wait=true ($(cat "$WORK/body"))"
ROOT=$(jq_body .result.root_uri)
jq_body .result.queue_status.Semantic.processed > /dev/null || fail "no queue_status.Semantic"
jq_body .result.queue_status.Embedding.error_count > /dev/null || fail "no queue_status.Embedding"
jq_body .result.task_id > /dev/null 2>&1 && fail "wait=true answer carries a task_id"
assert_eq 2 "$(jq_body .result.context_count)" "context_count (dir + file)"
assert_eq 1 "$(glob_count default "$ROOT" '*.txt')" "the .txt file under $ROOT"
http POST /api/v1/system/consistency "{\"uri\":\"$ROOT\"}" > /dev/null
assert_eq true "$(jq_body .result.ok)" "text consistency"
ok "text with wait=true: 200 after processing, queue_status and context_count, consistency ok"

# A zip tree: its single top folder becomes the root; directories nest.
"$MAKE_ZIP" "$WORK/proj.zip" "proj/README.md=# Proj
The project readme." "proj/src/main.c=int main(void) { return 0; }
" "proj/docs/guide.md=# Guide
How to use the project." "proj/docs/deep/notes.txt=deep notes"
add_upload "$WORK/proj.zip" '"wait":true,"timeout":120'
assert_eq 200 "$(status)" "add proj.zip ($(cat "$WORK/body"))"
assert_eq viking://resources/proj "$(jq_body .result.root_uri)" "zip root"
assert_eq 2 "$(glob_count default viking://resources/proj '**/*.md')" "zip Markdown files"
assert_eq 1 "$(glob_count default viking://resources/proj 'docs/deep/notes.txt')" "nested file"
http POST /api/v1/system/consistency '{"uri":"viking://resources/proj"}' > /dev/null
assert_eq true "$(jq_body .result.ok)" "zip consistency"
# 4 dirs (proj, src, docs, deep) x L0+L1, 4 files x L2
assert_eq 12 "$(jq_body .result.expected_count)" "zip expected records"
ok "zip tree: 4 directories and 4 files under viking://resources/proj, all 12 records present"

# Naming: a taken name gets _1; `to` is exact; a missing parent needs create_parent.
add_upload "$WORK/notes.md" '"source_name":"notes.md"'
assert_eq viking://resources/notes_1 "$(jq_body .result.root_uri)" "collision suffix"
add_upload "$WORK/notes.md" '"to":"viking://resources/exact/place/"'
assert_error 404 NOT_FOUND "to under a missing parent"
add_upload "$WORK/notes.md" '"to":"viking://resources/exact/place/","create_parent":true'
assert_eq 200 "$(status)" "to with create_parent"
assert_eq viking://resources/exact/place "$(jq_body .result.root_uri)" "to is exact (canonical)"
add_upload "$WORK/notes.md" '"parent":"viking://resources/lib","create_parent":true,"source_name":"n.md"'
assert_eq viking://resources/lib/n "$(jq_body .result.root_uri)" "parent + source_name"
wait_queues
ok "naming: _1 on collision, exact to, parent, create_parent (404 without)"

# Bad requests change nothing.
before=$(glob_count default viking://resources '**')
ID=$(upload "$WORK/notes.md")
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"bogus\":1}" > /dev/null
assert_error 400 INVALID_ARGUMENT "unknown field"
assert_eq '["body","bogus"]' "$(jq_body .error.details.validation_errors[0].loc)" "unknown field loc"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"path\":\"https://example.com/a.md\"}" > /dev/null
assert_error 400 INVALID_ARGUMENT "path and temp_file_id"
http POST /api/v1/resources '{}' > /dev/null
assert_error 400 INVALID_ARGUMENT "neither path nor temp_file_id"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"to\":\"viking://resources/a\",\"parent\":\"viking://resources\"}" > /dev/null
assert_error 400 INVALID_ARGUMENT "to and parent"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"processing_mode\":\"fast\"}" > /dev/null
assert_error 400 INVALID_ARGUMENT "processing_mode"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"to\":\"viking://agent/skills/x\"}" > /dev/null
assert_error 400 INVALID_ARGUMENT "to outside resources"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"to\":\"viking://resources/../x\"}" > /dev/null
assert_error 400 INVALID_URI "to with .."
http POST /api/v1/resources '{"temp_file_id":"../../etc/passwd"}' > /dev/null
assert_error 403 PERMISSION_DENIED "traversing temp_file_id"
http POST /api/v1/resources '{"temp_file_id":"upload_00000000000000000000000000000000.md"}' > /dev/null
assert_error 403 PERMISSION_DENIED "unknown temp_file_id"
http POST /api/v1/resources '{"path":"/etc/passwd"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "host-local path"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"parent\":\"viking://resources/notes/notes.md\"}" > /dev/null
assert_error 400 INVALID_ARGUMENT "parent is a file"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"parent\":\"viking://resources/notes/notes.md/sub\",\"create_parent\":true}" > /dev/null
assert_error 400 INVALID_ARGUMENT "a file in the parent chain, create_parent"
http POST /api/v1/resources "{\"temp_file_id\":\"$ID\",\"tags\":[\"novalue\"]}" > /dev/null
assert_error 400 INVALID_ARGUMENT "bad tags"
printf '\x00\x01\x02binary' > "$WORK/blob.bin"
add_upload "$WORK/blob.bin" '"strict":true'
assert_error 400 INVALID_ARGUMENT "unsupported type under strict"
assert_eq "$before" "$(glob_count default viking://resources '**')" "nodes after rejected requests"
ok "rejected requests (unknown field, source rules, to/parent, a file as parent, mode, scope, traversal, strict) store nothing"

add_upload "$WORK/blob.bin" '"source_name":"blob.bin"'
assert_eq 200 "$(status)" "unsupported type without strict"
jq_body .result.warnings[0] > /dev/null || fail "no warning for the skipped file"
ok "unsupported type without strict: 200 with a warning"

http POST /api/v1/system/consistency '{"uri":"viking://resources/notes/notes.md"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "consistency on a file"
http POST /api/v1/system/consistency '{"uri":"viking://resources/nowhere"}' > /dev/null
assert_error 404 NOT_FOUND "consistency on a missing dir"
http POST /api/v1/system/consistency '{}' > /dev/null
assert_error 400 INVALID_ARGUMENT "consistency without uri"
wait_queues
http POST /api/v1/system/consistency '{"uri":"viking://"}' > /dev/null
assert_eq true "$(jq_body .result.ok)" "whole-account consistency"
ok "consistency: file 400, missing 404, no uri 400; the whole account is consistent"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
