#!/usr/bin/env bash
# Traversal and encoding tricks in URIs: 400 INVALID_URI on every fs and content route, before any
# storage access, and nothing stored.
. "$(dirname "$0")/fs_lib.sh"
start_store

long=$(head -c 300 /dev/zero | tr '\0' 'a')
deep=viking://resources
for i in $(seq 1 40); do deep="$deep/d$i"; done
# As the server must see them (GET arguments are URL-encoded by get/del, so '%' stays literal).
bad=(
  "viking://resources/../x.md"
  "viking://resources/a/../../x.md"
  "viking://resources/./x.md"
  "viking://resources/%2e%2e/x.md"
  "viking://resources/%2E%2E/x.md"
  "viking://resources/a%2Fb.md"
  "viking://resources/a%2fb.md"
  'viking://resources/a\b.md'
  "viking://resources/a$(printf '\001')b.md"
  "viking://resources/a$(printf '\t')b.md"
  "viking://resources/$long.md"
  "$deep/x.md"
  "resources/x.md"
  "viking://temp/x.md"
)

n=0
for u in "${bad[@]}"; do
  for route in /api/v1/fs/ls /api/v1/fs/tree /api/v1/fs/stat /api/v1/fs/attrs /api/v1/content/read \
    /api/v1/content/abstract /api/v1/content/overview /api/v1/content/download; do
    get "$route" "uri=$u"
    expect 400 INVALID_URI "GET $route uri=$u"
    n=$((n + 1))
  done
  del /api/v1/fs "uri=$u" recursive=true
  expect 400 INVALID_URI "DELETE /api/v1/fs uri=$u"
done
ok "GET fs/content routes and DELETE /api/v1/fs: 400 INVALID_URI for all ${#bad[@]} bad URIs ($n GETs)"

# JSON bodies: the same list, JSON-escaped.
json_bad=(
  'viking://resources/../x.md'
  'viking://resources/./x.md'
  'viking://resources/%2e%2e/x.md'
  'viking://resources/a%2Fb.md'
  'viking://resources/a\\b.md'
  'viking://resources/a\u0001b.md'
  "viking://resources/$long.md"
  "$deep/x.md"
  'viking://queue/x.md'
)
for u in "${json_bad[@]}"; do
  post /api/v1/content/write "{\"uri\":\"$u\",\"content\":\"x\",\"mode\":\"create\"}"
  expect 400 INVALID_URI "write $u"
  post /api/v1/fs/mkdir "{\"uri\":\"$u\"}"
  expect 400 INVALID_URI "mkdir $u"
  post /api/v1/fs/mv "{\"from_uri\":\"$u\",\"to_uri\":\"viking://resources/ok\"}"
  expect 400 INVALID_URI "mv from $u"
  post /api/v1/fs/mv "{\"from_uri\":\"viking://resources/ok\",\"to_uri\":\"$u\"}"
  expect 400 INVALID_URI "mv to $u"
  post /api/v1/fs/attrs/set_tags "{\"uri\":\"$u\",\"tags\":[\"a=b\"]}"
  expect 400 INVALID_URI "set_tags $u"
  post /api/v1/content/reindex "{\"uri\":\"$u\"}"
  expect 400 INVALID_URI "reindex $u"
done
post /api/v1/content/write '{"uri":"viking://resources/../x.md","content":"x"}'
case "$(jq_body .error.message)" in
  "Invalid URI: viking://resources/../x.md ("*")") ;;
  *) fail "INVALID_URI message: $(jq_body .error.message)" ;;
esac
assert_eq viking://resources/../x.md "$(jq_body .error.details.uri)" "details.uri"
[ -n "$(jq_body .error.details.reason)" ] || fail "INVALID_URI without details.reason"
post /api/v1/content/write '{"uri":"viking://resources/a\u0000/../../x.md","content":"x","mode":"create"}'
expect 400 "" "a NUL, which a C string would cut short"
_curl GET '/api/v1/fs/ls?uri=viking://resources/a%00/x'
expect 400 INVALID_ARGUMENT "a %00 in a query value"
ok "write, mkdir, mv, set_tags, reindex bodies: 400 INVALID_URI with {uri, reason}; a NUL is refused, in a body or a query"

get /api/v1/fs/tree uri=viking:// level_limit=10
expect 200 "" "tree of everything"
assert_eq 3 "$(count .result)" "nodes besides the three scope roots"
ok "nothing was stored by any rejected request"

stop_store
finish
