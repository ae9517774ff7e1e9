#!/usr/bin/env bash
# fs mkdir / rm / mv: success shapes, errors that change nothing, and the vector index kept true.
. "$(dirname "$0")/fs_lib.sh"
start_store

# eventually WHAT CMD...: retries CMD (up to 30 s) until it succeeds; the pipeline is asynchronous.
eventually() {
  local what="$1"
  shift
  for _ in $(seq 1 600); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  fail "$what: still not so after 30 s"
}
records_are() { [ "$(vector_records "$1")" = "$2" ]; }
records_above() { [ "$(vector_records "$1")" -gt "$2" ]; }

post /api/v1/fs/mkdir '{"uri":"viking://resources/docs/","description":"Design notes about the parser"}'
expect 200 "" "mkdir with description"
assert_eq viking://resources/docs "$(jq_body .result.uri)" "mkdir result uri"
get /api/v1/content/abstract uri=viking://resources/docs
expect 200 "" "abstract of the new directory"
assert_eq "Design notes about the parser" "$(jq_body .result)" "description is the L0"
get /api/v1/content/overview uri=viking://resources/docs
expect 404 NOT_FOUND "a description writes no L1"
eventually "the description's vector" records_are viking://resources/docs 1
ok "mkdir: {uri}; the description becomes the L0 (no L1) and gets its vector"

post /api/v1/fs/mkdir '{"uri":"viking://resources/docs/a/b"}'
expect 200 "" "mkdir with missing parents"
get /api/v1/fs/stat uri=viking://resources/docs/a
assert_eq true "$(jq_body .result.isDir)" "parent made by mkdir"
post /api/v1/fs/mkdir '{"uri":"viking://resources/docs"}'
expect 409 ALREADY_EXISTS "mkdir of an existing directory"
write_file viking://resources/docs/f.md 'file'
post /api/v1/fs/mkdir '{"uri":"viking://resources/docs/f.md/under"}'
expect 400 INVALID_ARGUMENT "mkdir under a file"
post /api/v1/fs/mkdir '{"description":"x"}'
expect 400 INVALID_ARGUMENT "mkdir without uri"
post /api/v1/fs/mkdir '{"uri":"viking://resources/docs/c","description":7}'
expect 400 INVALID_ARGUMENT "description of the wrong type"
get /api/v1/fs/stat uri=viking://resources/docs/c
expect 404 NOT_FOUND "a rejected mkdir made nothing"
post /api/v1/fs/mkdir 'not json'
expect 400 INVALID_ARGUMENT "malformed body"
ok "mkdir errors: 409 existing, 400 under a file / no uri / wrong type / bad JSON; nothing made"

R=viking://resources/r
write_file "$R/x.md" 'x marks the spot' create '"wait":true'
write_file "$R/d/y.md" 'why not' create '"wait":true'
before=$(vector_records "$R")
[ "$before" -ge 4 ] || fail "expected vectors for r, d, x.md, y.md; dry run saw $before"
del /api/v1/fs uri=$R
expect 412 FAILED_PRECONDITION "rm of a non-empty directory"
get /api/v1/fs/stat "uri=$R/x.md"
expect 200 "" "file still there after 412"
assert_eq "$before" "$(vector_records "$R")" "vectors untouched by the 412"
del /api/v1/fs uri=$R/nothing.md
expect 404 NOT_FOUND "rm of a missing node"
del /api/v1/fs uri=viking://resources recursive=true
expect 400 INVALID_ARGUMENT "rm of a scope root"
del /api/v1/fs
expect 400 INVALID_ARGUMENT "rm without uri"
get /api/v1/fs/ls uri=viking://resources simple=true
has_uri .result "$R" || fail "a rejected rm removed something"
ok "rm errors: 412 non-empty without recursive, 404 missing, 400 scope root / no uri; nothing removed"

del /api/v1/fs "uri=$R/x.md"
expect 200 "" "rm of a file"
assert_eq "$R/x.md" "$(jq_body .result.uri)" "rm result uri"
assert_eq 1 "$(jq_body .result.estimated_deleted_count)" "one node removed"
get /api/v1/fs/stat "uri=$R/x.md"
expect 404 NOT_FOUND "removed file"
del /api/v1/fs uri=$R recursive=true wait=true
expect 200 "" "rm recursive"
assert_eq 3 "$(jq_body .result.estimated_deleted_count)" "r, d and y.md removed"
get /api/v1/fs/stat "uri=$R"
expect 404 NOT_FOUND "removed directory"
assert_eq 0 "$(vector_records "$R")" "vectors left under the removed subtree"
ok "rm of a file and rm recursive: nodes gone, and their vectors with them"

S=viking://resources/s/t
write_file "$S/z.md" 'zed' create '"wait":true'
write_file "$S/keep.md" 'kept' create '"wait":true'
del /api/v1/fs "uri=$S/z.md" wait=true timeout=30
expect 200 "" "rm with wait"
assert_eq "$S" "$(jq_body .result.semantic_root_uri)" "the parent is refreshed"
assert_eq complete "$(jq_body .result.semantic_status)" "the wait covers the refresh"
get /api/v1/content/overview "uri=$S"
case "$(jq_body .result)" in *z.md*) fail "the refreshed overview still names z.md" ;; esac
ok "rm wait=true: answers once the parent's L0/L1 are refreshed without the removed file"

M=viking://resources/m
write_file "$M/src/one.md" '# One\n\nThe first document.\n' create '"wait":true'
moved=$(vector_records "$M/src")
[ "$moved" -ge 3 ] || fail "expected vectors under src; dry run saw $moved"
post /api/v1/fs/mv "{\"from_uri\":\"$M/src\",\"to_uri\":\"$M/dst\"}"
expect 200 "" "mv"
assert_eq "$M/src" "$(jq_body .result.from)" "mv result from"
assert_eq "$M/dst" "$(jq_body .result.to)" "mv result to"
get /api/v1/content/read "uri=$M/dst/one.md"
expect 200 "" "read at the new place"
assert_eq "$(printf '# One\n\nThe first document.\n')" "$(jq_body .result)" "content kept"
get /api/v1/fs/stat "uri=$M/src"
expect 404 NOT_FOUND "nothing left at the old place"
assert_eq 0 "$(vector_records "$M/src")" "vectors left under the old URI"
eventually "vectors under the new URI" records_above "$M/dst" 1
ok "mv: {from, to}; content kept at the new URI, old URI and its vectors gone, new vectors queued"

write_file "$M/other.md" 'other'
post /api/v1/fs/mv "{\"from_uri\":\"$M/other.md\",\"to_uri\":\"$M/dst\"}"
expect 409 ALREADY_EXISTS "mv onto an existing node"
post /api/v1/fs/mv "{\"from_uri\":\"$M/none\",\"to_uri\":\"$M/none2\"}"
expect 404 NOT_FOUND "mv of a missing node"
post /api/v1/fs/mv "{\"from_uri\":\"$M/dst\",\"to_uri\":\"$M/dst/inner\"}"
expect 400 INVALID_ARGUMENT "mv into itself"
post /api/v1/fs/mv '{"from_uri":"viking://resources","to_uri":"viking://agent/x"}'
expect 400 INVALID_ARGUMENT "mv of a scope root"
post /api/v1/fs/mv "{\"from_uri\":\"$M/other.md\"}"
expect 400 INVALID_ARGUMENT "mv without to_uri"
get /api/v1/content/read "uri=$M/other.md"
assert_eq other "$(jq_body .result)" "the rejected moves left the file alone"
ok "mv errors: 409 target exists, 404 missing, 400 into itself / scope root / no to_uri"

stop_store
finish
