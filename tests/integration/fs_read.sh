#!/usr/bin/env bash
# fs ls / tree / stat / attrs / set_tags: success shapes, options and errors.
. "$(dirname "$0")/fs_lib.sh"
start_store

P=viking://resources/proj
A_SIZE=$(printf '# Alpha\n\nAlpha comes first.\n' | wc -c)
write_file "$P/b.md" '# Beta\n\nBeta is the second letter.\n'
write_file "$P/sub/c.txt" 'gamma line one\ngamma line two\n' create '"wait":true,"timeout":30'
write_file "$P/a.md" '# Alpha\n\nAlpha comes first.\n' create '"wait":true,"timeout":30'
write_file "$P/.hidden.md" 'not listed by default'
post /api/v1/fs/mkdir "{\"uri\":\"$P/empty\"}"
expect 200 "" "mkdir"
ok "setup: files written with content/write create, a directory made"

get /api/v1/fs/ls uri=viking://
expect 200 "" "ls of the root"
assert_eq 3 "$(count .result)" "entries of viking://"
for s in resources user agent; do has_uri .result "viking://$s" || fail "viking://$s missing"; done
ok "ls viking:// shows only resources, user, agent"

get /api/v1/fs/ls "uri=$P" output=original
expect 200 "" "ls original"
assert_eq 4 "$(count .result)" "entries (hidden file left out)"
assert_eq empty "$(jq_body .result[0].name)" "first directory"
assert_eq sub "$(jq_body .result[1].name)" "second directory"
assert_eq a.md "$(jq_body .result[2].name)" "first file"
assert_eq b.md "$(jq_body .result[3].name)" "second file"
assert_eq true "$(jq_body .result[0].isDir)" "isDir of a directory"
assert_eq false "$(jq_body .result[2].isDir)" "isDir of a file"
assert_eq 16877 "$(jq_body .result[0].mode)" "mode of a directory"
assert_eq 33188 "$(jq_body .result[2].mode)" "mode of a file"
assert_eq "$A_SIZE" "$(jq_body .result[2].size)" "size of a.md"
assert_eq "$P/a.md" "$(jq_body .result[2].uri)" "uri"
case "$(jq_body .result[2].modTime)" in 20*T*Z) ;; *) fail "modTime not ISO-8601: $(jq_body .result[2].modTime)" ;; esac
ok "ls output=original: name, size, mode, modTime, isDir, uri; directories first, then by name"

get /api/v1/fs/ls "uri=$P"
expect 200 "" "ls agent"
jq_body .result[2].name > /dev/null 2>&1 && fail "agent entries have no name"
assert_eq "$P/empty" "$(jq_body .result[0].uri)" "agent uri"
assert_eq 0 "$(jq_body .result[1].size)" "agent size of a directory"
assert_eq "" "$(jq_body .result[2].abstract)" "agent abstract of a file"
assert_eq "[.abstract.md is not ready]" "$(jq_body .result[0].abstract)" "abstract of a dir without L0"
sub_abstract=$(jq_body .result[1].abstract)
[ -n "$sub_abstract" ] && [ "$sub_abstract" != "[.abstract.md is not ready]" ] ||
  fail "sub has no abstract after a waited write: '$sub_abstract'"
get /api/v1/fs/ls "uri=$P" abs_limit=4
short=$(jq_body .result[1].abstract)
[ "${#short}" -le 7 ] && [ "${short%...}" != "$short" ] || fail "abs_limit=4 gave '$short'"
ok "ls output=agent (the default): uri, size, isDir, modTime, abstract (L0 cut to abs_limit)"

get /api/v1/fs/ls "uri=$P" show_all_hidden=true simple=true
expect 200 "" "ls show_all_hidden"
has_uri .result "$P/.hidden.md" || fail "hidden file missing with show_all_hidden"
has_uri .result "$P/.abstract.md" || fail ".abstract.md missing with show_all_hidden"
get /api/v1/fs/ls "uri=$P" simple=true
has_uri .result "$P/.hidden.md" && fail "hidden file listed without show_all_hidden"
assert_eq "$P/empty" "$(jq_body .result[0])" "simple entries are URI strings"
ok "hidden names only with show_all_hidden (with the sidecars); simple=true gives URIs"

get /api/v1/fs/ls "uri=$P" output=original sort_by=mtime sort_order=desc
assert_eq a.md "$(jq_body .result[2].name)" "newest file first"
assert_eq b.md "$(jq_body .result[3].name)" "oldest file last"
get /api/v1/fs/ls "uri=$P" output=original sort_by=name sort_order=desc
assert_eq sub "$(jq_body .result[0].name)" "directories stay first, by name desc"
assert_eq b.md "$(jq_body .result[2].name)" "files by name desc"
ok "sort_by name|mtime, sort_order asc|desc, directories first"

get /api/v1/fs/ls "uri=$P" node_limit=2
assert_eq 2 "$(count .result)" "node_limit"
get /api/v1/fs/ls "uri=$P" node_limit=3 limit=1
assert_eq 1 "$(count .result)" "limit wins over node_limit"
ok "node_limit, and limit as an alias that wins"

get /api/v1/fs/ls "uri=$P" recursive=true output=original
has_uri .result "$P/sub/c.txt" || fail "recursive ls misses sub/c.txt"
get /api/v1/fs/tree "uri=$P" output=original
expect 200 "" "tree"
has_uri .result "$P/sub/c.txt" || fail "tree misses sub/c.txt"
i=0
while [ "$(jq_body ".result[$i].uri")" != "$P/sub/c.txt" ]; do i=$((i + 1)); done
assert_eq sub/c.txt "$(jq_body ".result[$i].rel_path")" "rel_path"
get /api/v1/fs/tree "uri=$P" level_limit=1
has_uri .result "$P/sub/c.txt" && fail "level_limit=1 went deeper"
has_uri .result "$P/sub" || fail "level_limit=1 lost sub"
ok "ls recursive and tree: flat entries with rel_path, level_limit"

get /api/v1/fs/stat "uri=$P/a.md"
expect 200 "" "stat file"
assert_eq a.md "$(jq_body .result.name)" "stat name"
assert_eq false "$(jq_body .result.isDir)" "stat isDir"
assert_eq false "$(jq_body .result.isLocked)" "stat isLocked"
assert_eq "$A_SIZE" "$(jq_body .result.size)" "stat size"
get /api/v1/fs/stat "uri=$P/sub/"
assert_eq true "$(jq_body .result.isDir)" "stat dir"
assert_eq 1 "$(jq_body .result.count)" "stat count"
assert_eq "$P/sub" "$(jq_body .result.uri)" "stat echoes the canonical URI"
get /api/v1/fs/stat "uri=$P/nope.md"
expect 404 NOT_FOUND "stat of a missing node"
ok "stat: shape with isLocked and count; 404 NOT_FOUND when missing"

get /api/v1/fs/attrs "uri=$P/a.md"
expect 200 "" "attrs"
assert_eq resource "$(jq_body .result.context_type)" "context_type"
assert_eq '[]' "$(jq_body .result.attrs.tags)" "no tags yet"
post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":[\"team=search\"]}"
expect 200 "" "set_tags"
post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":[\"env=prod\"],\"mode\":\"append\"}"
get /api/v1/fs/attrs "uri=$P/a.md"
assert_eq '["team=search","env=prod"]' "$(jq_body .result.attrs.tags)" "tags after replace then append"
post /api/v1/content/set_tags "{\"uri\":\"$P/sub\",\"tags\":[\"k=v\"],\"recursive\":true}"
expect 200 "" "content/set_tags"
get /api/v1/fs/attrs "uri=$P/sub/c.txt"
assert_eq '["k=v"]' "$(jq_body .result.attrs.tags)" "recursive tags reach files"
get /api/v1/fs/attrs "uri=viking://user/default/memories/x.md"
expect 404 NOT_FOUND "attrs of a missing node"
ok "attrs: context_type and tags; set_tags replace/append/recursive, also as content/set_tags"

post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":[\"no-equals\"]}"
expect 400 INVALID_ARGUMENT "tag without '='"
post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":[\"x=y\"],\"colour\":1}"
expect 400 INVALID_ARGUMENT "unknown set_tags field"
post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":\"x=y\"}"
expect 400 INVALID_ARGUMENT "tags not an array"
post /api/v1/fs/attrs/set_tags "{\"uri\":\"$P/a.md\",\"tags\":[\"x=y\"],\"mode\":\"merge\"}"
expect 400 INVALID_ARGUMENT "unknown tag mode"
get /api/v1/fs/attrs "uri=$P/a.md"
assert_eq '["team=search","env=prod"]' "$(jq_body .result.attrs.tags)" "tags unchanged by rejected calls"
ok "set_tags rejects bad tags, unknown fields, wrong types and modes, and changes nothing"

get /api/v1/fs/ls "uri=$P/missing"
expect 404 NOT_FOUND "ls of a missing directory"
get /api/v1/fs/ls "uri=$P/a.md"
expect 400 INVALID_ARGUMENT "ls of a file"
assert_eq directory "$(jq_body .error.details.expected)" "ls of a file: expected"
get /api/v1/fs/ls
expect 400 INVALID_ARGUMENT "ls without uri"
get /api/v1/fs/ls "uri=$P" output=fancy
expect 400 INVALID_ARGUMENT "unknown output"
get /api/v1/fs/ls "uri=$P" sort_by=size
expect 400 INVALID_ARGUMENT "unknown sort_by"
get /api/v1/fs/ls "uri=$P" node_limit=abc
expect 400 INVALID_ARGUMENT "node_limit not a number"
get /api/v1/fs/ls "uri=$P" recursive=maybe
expect 400 INVALID_ARGUMENT "recursive not a boolean"
get /api/v1/fs/tree "uri=$P/b.md"
expect 400 INVALID_ARGUMENT "tree of a file"
ok "ls/tree errors: 404 missing, 400 for a file, a missing uri, bad output/sort/limit/boolean"

stop_store
finish
