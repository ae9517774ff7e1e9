#!/usr/bin/env bash
# content write / read / abstract / overview / download: success shapes, modes, errors that change
# nothing, sidecars, and wait=true.
. "$(dirname "$0")/fs_lib.sh"
start_store

N=viking://resources/notes
post /api/v1/content/write "{\"uri\":\"$N/log.md\",\"content\":\"line1\\nline2\\nline3\\n\",\"mode\":\"create\"}"
expect 200 "" "create"
assert_eq "$N/log.md" "$(jq_body .result.uri)" "uri"
assert_eq "$N" "$(jq_body .result.root_uri)" "root_uri"
assert_eq resource "$(jq_body .result.context_type)" "context_type"
assert_eq create "$(jq_body .result.mode)" "mode"
assert_eq 18 "$(jq_body .result.written_bytes)" "written_bytes"
assert_eq true "$(jq_body .result.content_updated)" "content_updated"
assert_eq queued "$(jq_body .result.semantic_status)" "semantic_status without wait"
assert_eq queued "$(jq_body .result.vector_status)" "vector_status without wait"
get /api/v1/content/read "uri=$N/log.md"
expect 200 "" "read"
assert_eq "$(printf 'line1\nline2\nline3\n')" "$(jq_body .result)" "read back"
ok "write create: the reference's result shape; read returns the content as a string"

write_file "$N/deep/er/x.txt" 'deep'
get /api/v1/fs/stat "uri=$N/deep/er"
assert_eq true "$(jq_body .result.isDir)" "auto-created parent"
write_file "$N/log.md" 'line4\n' append
get /api/v1/content/read "uri=$N/log.md"
assert_eq "$(printf 'line1\nline2\nline3\nline4\n')" "$(jq_body .result)" "after append"
post /api/v1/content/write "{\"uri\":\"$N/log.md\",\"content\":\"a\\nb\\nc\\nd\\ne\\n\",\"wait\":true,\"timeout\":30}"
expect 200 "" "replace with wait"
assert_eq replace "$(jq_body .result.mode)" "replace is the default mode"
assert_eq complete "$(jq_body .result.semantic_status)" "semantic_status after wait"
assert_eq complete "$(jq_body .result.vector_status)" "vector_status after wait"
assert_eq 1 "$(jq_body .result.queue_status.Embedding.processed)" "queue_status after wait"
ok "create makes missing parents; append; replace (the default) with wait: statuses complete"

get /api/v1/content/read "uri=$N/log.md" offset=1 limit=2
assert_eq "$(printf 'b\nc\n')" "$(jq_body .result)" "offset=1 limit=2"
get /api/v1/content/read "uri=$N/log.md" offset=3
assert_eq "$(printf 'd\ne\n')" "$(jq_body .result)" "offset=3 to the end"
get /api/v1/content/read "uri=$N/log.md" offset=10
expect 200 "" "offset past the end"
assert_eq "" "$(jq_body .result)" "offset past the end is empty"
get /api/v1/content/read "uri=$N/log.md" limit=-2
expect 400 INVALID_ARGUMENT "limit below -1"
get /api/v1/content/read "uri=$N/log.md" offset=-1
expect 400 INVALID_ARGUMENT "negative offset"
get /api/v1/content/read "uri=$N"
expect 400 INVALID_ARGUMENT "read of a directory"
assert_eq file "$(jq_body .error.details.expected)" "details.expected"
assert_eq directory "$(jq_body .error.details.actual)" "details.actual"
assert_eq "$N" "$(jq_body .error.details.resource)" "details.resource"
get /api/v1/content/read "uri=$N/none.md"
expect 404 NOT_FOUND "read of a missing file"
ok "read: offset/limit in lines; 400 with {expected, actual, resource} for a directory; 404 missing"

get /api/v1/content/abstract "uri=$N"
expect 200 "" "abstract"
abstract=$(jq_body .result)
[ -n "$abstract" ] || fail "empty abstract after a waited write"
get /api/v1/content/overview "uri=$N"
expect 200 "" "overview"
case "$(jq_body .result)" in *log.md*) ;; *) fail "the overview does not name log.md: $(jq_body .result)" ;; esac
get /api/v1/content/abstract "uri=$N/log.md"
assert_eq "$abstract" "$(jq_body .result)" "a file stands for its directory"
get /api/v1/content/read "uri=$N/.abstract.md"
assert_eq "$abstract" "$(jq_body .result)" "read of .abstract.md"
post /api/v1/fs/mkdir "{\"uri\":\"$N/bare\"}"
get /api/v1/content/abstract "uri=$N/bare"
expect 404 NOT_FOUND "abstract of a directory without one"
get /api/v1/content/overview "uri=viking://resources/nothing"
expect 404 NOT_FOUND "overview of a missing directory"
ok "abstract/overview: body strings; a file falls back to its directory; 404 when missing"

post /api/v1/content/write "{\"uri\":\"$N/.abstract.md\",\"content\":\"Hand-written abstract\",\"wait\":true,\"timeout\":30}"
expect 200 "" "edit of .abstract.md"
assert_eq complete "$(jq_body .result.vector_status)" "sidecar edit re-embedded"
get /api/v1/content/abstract "uri=$N"
assert_eq "Hand-written abstract" "$(jq_body .result)" "edited abstract"
post /api/v1/content/write "{\"uri\":\"$N/bare/.overview.md\",\"content\":\"x\",\"mode\":\"create\"}"
expect 400 INVALID_ARGUMENT "create of a sidecar"
post /api/v1/content/write "{\"uri\":\"$N/bare/.overview.md\",\"content\":\"x\"}"
expect 404 NOT_FOUND "edit of a sidecar that does not exist"
ok "an existing .abstract.md can be edited (and is re-embedded); sidecars are never created"

post /api/v1/fs/mkdir "{\"uri\":\"$N/folder.md\"}"
before=$(get /api/v1/content/read "uri=$N/log.md"; jq_body .result)
for body in \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"mode\":\"create\"}|409|ALREADY_EXISTS" \
  "{\"uri\":\"$N/new.exe\",\"content\":\"x\",\"mode\":\"create\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/none.md\",\"content\":\"x\",\"mode\":\"replace\"}|404|NOT_FOUND" \
  "{\"uri\":\"$N/none.md\",\"content\":\"x\",\"mode\":\"append\"}|404|NOT_FOUND" \
  "{\"uri\":\"$N\",\"content\":\"x\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/folder.md\",\"content\":\"x\",\"mode\":\"create\"}|409|ALREADY_EXISTS" \
  "{\"uri\":\"$N/log.md/under.md\",\"content\":\"x\",\"mode\":\"create\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"mode\":\"overwrite\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"colour\":\"red\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\"}|400|INVALID_ARGUMENT" \
  "{\"content\":\"x\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":42}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"wait\":\"soon\"}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"timeout\":-1}|400|INVALID_ARGUMENT" \
  "{\"uri\":\"$N/log.md\",\"content\":\"x\",\"processing_mode\":\"fast\"}|400|INVALID_ARGUMENT" \
  "[1,2]|400|INVALID_ARGUMENT"; do
  post /api/v1/content/write "${body%%|*}"
  rest=${body#*|}
  expect "${rest%%|*}" "${rest#*|}" "write ${body%%|*}"
done
get /api/v1/content/read "uri=$N/log.md"
assert_eq "$before" "$(jq_body .result)" "content after the rejected writes"
get /api/v1/fs/stat "uri=$N/new.exe"
expect 404 NOT_FOUND "a rejected create made nothing"
get /api/v1/fs/stat "uri=$N/none.md"
expect 404 NOT_FOUND "a rejected replace made nothing"
ok "write errors: 409 existing, 400 extension / directory / under a file / bad fields, 404 missing; nothing changed"

post /api/v1/content/write "{\"uri\":\"$N/vec.md\",\"content\":\"only vectors\",\"mode\":\"create\",\"processing_mode\":\"vectors_only\",\"wait\":true}"
expect 200 "" "vectors_only write"
assert_eq skipped "$(jq_body .result.semantic_status)" "no L0/L1 refresh for vectors_only"
assert_eq complete "$(jq_body .result.vector_status)" "vectors done"
ok "processing_mode=vectors_only: the file's vectors only"

write_file "$N/my notes é.md" 'raw\u0001bytes\n'
hdrs="$WORK/headers"
curl -s -D "$hdrs" -o "$WORK/download" -G --data-urlencode "uri=$N/my notes é.md" \
  "$BASE/api/v1/content/download" > /dev/null
grep -qi '^HTTP/1.1 200' "$hdrs" || fail "download status: $(head -1 "$hdrs")"
grep -qi '^content-type: application/octet-stream' "$hdrs" || fail "download content type"
grep -qi "^content-disposition: attachment; filename\*=UTF-8''my%20notes%20%C3%A9.md" "$hdrs" ||
  fail "download disposition: $(grep -i disposition "$hdrs")"
cmp -s "$WORK/download" <(printf 'raw\001bytes\n') || fail "downloaded bytes differ"
get /api/v1/content/download "uri=$N"
expect 400 INVALID_ARGUMENT "download of a directory"
get /api/v1/content/download "uri=$N/none.md"
expect 404 NOT_FOUND "download of a missing file"
ok "download: the raw bytes, application/octet-stream, Content-Disposition with the encoded name"

stop_store
finish
