#!/usr/bin/env bash
# find: the answer's shape (groups, hit fields, L0/L1 hits shown as their sidecars, total,
# provenance), every filter (context_type, level, tags, since/until with time_field,
# score_threshold, target_uri as a prefix and as a list, the filter DSL with and/or/must/
# must_not/range/prefix/contains), limit and node_limit, and the refusals (empty query, unknown
# field, bad filter, bad URI, image query). Run in the default (flat, no [rerank]) mode; the
# rerank mode has its own test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/find_lib.sh"
write_config
drop_section rerank
start_daemon
wait_ready

# Timestamps between writes, so since/until can split them.
now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
put_doc viking://resources/kb/kettle.md "# Kettles\n\nDescaling a kettle with vinegar removes limescale from the kettle."
put_doc viking://resources/kb/teapot.md "# Teapots\n\nA teapot keeps tea warm; rinse the teapot, never descale it with vinegar."
put_doc viking://resources/kbx/other.md "# Other kettle notes\n\nKettle whistles and kettle handles."
put_doc viking://user/default/memories/tea.md "The user descales the kettle every month and prefers green tea."
drain
sleep 1.1
t1=$(now_iso)
sleep 1.1
put_doc viking://resources/kb/late.md "# Late kettle\n\nA kettle note written later than the others."
drain
sleep 1.1
t2=$(now_iso)
sleep 1.1
req POST /api/v1/content/write '{"uri":"viking://resources/kb/kettle.md","content":"\nAppended: kettle descaling once a month.","mode":"append","wait":true,"timeout":60}'
expect 200 "" "append to kettle.md"
req POST /api/v1/fs/attrs/set_tags '{"uri":"viking://resources/kb/teapot.md","tags":["team=tea","lang=en"]}'
expect 200 "" "set_tags on teapot.md"
drain

find '{"query":"descaling a kettle with vinegar"}'
assert_eq 'memories resources skills total' "$(py "sorted(r.keys())")" "result keys"
total=$(py "r['total']")
assert_eq "$(py "len(hits)")" "$total" "total counts the hits"
[ "$total" -ge 5 ] || fail "expected at least 5 hits, got $total"
assert_eq viking://resources/kb/kettle.md "$(py "r['resources'][0]['uri']")" "best resource"
assert_eq 'abstract context_type level score tags uri' \
  "$(py "sorted(r['resources'][0].keys())")" "hit fields"
assert_eq 2 "$(py "r['resources'][0]['level']")" "a file is an L2 hit"
assert_eq resource "$(py "r['resources'][0]['context_type']")" "context_type"
case "$(py "r['resources'][0]['abstract']")" in *Descaling*) ;; *) fail "abstract of kettle.md: $(py "r['resources'][0]['abstract']")" ;; esac
assert_eq memory "$(py "r['memories'][0]['context_type']")" "memories group"
assert_eq True "$(py "all(h['score'] > 0 for h in hits)")" "scores above the default threshold 0"
assert_eq True "$(py "all(a['score'] >= b['score'] for g in ('memories','resources') for a, b in zip(r[g], r[g][1:]))")" "each group best first"
assert_eq True "$(py "all(h['uri'].endswith(('/.abstract.md', '/.overview.md')) == (h['level'] < 2) for h in hits)")" \
  "L0/L1 hits show their sidecar URI"
assert_eq True "$(py "len(set(h['uri'].rsplit('/.', 1)[0] for h in hits)) == len(hits)")" "one hit per node"
ok "shape: groups, hit fields, sidecar URIs, best first, one hit per node, total"

find '{"query":"kettle","context_type":"memory"}'
assert_eq memory "$(py "' '.join(sorted(set(h['context_type'] for h in hits)))")" "context_type memory"
find '{"query":"kettle","context_type":["resource"]}'
assert_eq resource "$(py "' '.join(sorted(set(h['context_type'] for h in hits)))")" "context_type [resource]"
find '{"query":"kettle","level":2}'
assert_eq 2 "$(py "' '.join(sorted(set(str(h['level']) for h in hits)))")" "level 2"
find '{"query":"kettle","level":"0,1"}'
assert_eq True "$(py "len(hits) > 0 and all(h['level'] in (0, 1) for h in hits)")" "level \"0,1\""
find '{"query":"kettle","level":[1]}'
assert_eq 1 "$(py "' '.join(sorted(set(str(h['level']) for h in hits)))")" "level [1]"
find '{"query":"kettle","level":[0]}'
assert_eq 0 "$(py "' '.join(sorted(set(str(h['level']) for h in hits)))")" "level [0]"
ok "context_type (string, list) and level (int, string, list) filters"

find '{"query":"teapot","tags":["team=tea"]}'
assert_eq viking://resources/kb/teapot.md "$(uris)" "tags: only the tagged file"
assert_eq 'lang=en team=tea' "$(py "sorted(r['resources'][0]['tags'])")" "hit tags"
find '{"query":"teapot","tags":["team=tea","lang=de"]}'
assert_eq 0 "$(py "r['total']")" "tags are ANDed"
ok "tags filter (all must match) and hit tags"

find "{\"query\":\"kettle\",\"level\":2,\"since\":\"$t1\"}"
assert_eq "viking://resources/kb/kettle.md viking://resources/kb/late.md" "$(py "sorted(h['uri'] for h in hits if 'kb/' in h['uri'])")" "since t1 (updated_at)"
lacks viking://resources/kbx/other.md "since t1"
find "{\"query\":\"kettle\",\"level\":2,\"since\":\"$t1\",\"time_field\":\"created_at\"}"
assert_eq viking://resources/kb/late.md "$(uris)" "since t1 by created_at"
find "{\"query\":\"kettle\",\"level\":2,\"since\":\"$t2\"}"
has viking://resources/kb/kettle.md "since t2: appended after t2"
lacks viking://resources/kb/late.md "since t2"
find "{\"query\":\"kettle\",\"level\":2,\"until\":\"$t1\",\"time_field\":\"created_at\"}"
lacks viking://resources/kb/late.md "until t1 by created_at"
has viking://resources/kb/kettle.md "until t1 by created_at"
find '{"query":"kettle","since":"1h","until":"2999-01-01"}'
has viking://resources/kb/late.md "relative since and a date until"
find '{"query":"kettle","until":"2000-01-01"}'
assert_eq 0 "$(py "r['total']")" "until a date long ago"
ok "since/until (ISO, relative, date) on updated_at and created_at"

find '{"query":"descaling a kettle with vinegar"}'
second=$(py "sorted(h['score'] for h in hits)[-2]")
find "{\"query\":\"descaling a kettle with vinegar\",\"score_threshold\":$second}"
assert_eq 2 "$(py "r['total']")" "threshold at the second best score keeps two"
find '{"query":"descaling a kettle with vinegar","score_threshold":0.999}'
assert_eq 0 "$(py "r['total']")" "a threshold above every score"
find '{"query":"kettle","limit":2}'
assert_eq 2 "$(py "r['total']")" "limit"
find '{"query":"kettle","limit":2,"node_limit":3}'
assert_eq 3 "$(py "r['total']")" "node_limit overrides limit"
ok "score_threshold, limit, node_limit"

find '{"query":"kettle","target_uri":"viking://resources/kb"}'
assert_eq True "$(py "all(h['uri'].startswith('viking://resources/kb/') for h in hits)")" "target prefix"
has viking://resources/kb/.abstract.md "the target directory's own L0/L1"
find '{"query":"kettle","target_uri":"viking://resources/kb/"}'
lacks viking://resources/kbx/other.md "trailing slash"
find '{"query":"kettle","target_uri":"viking://resources/k"}'
assert_eq 0 "$(py "r['total']")" "a target matches whole segments only"
find '{"query":"kettle","target_uri":["viking://resources/kbx","viking://user/default/memories"]}'
assert_eq True "$(py "all(h['uri'].startswith(('viking://resources/kbx/', 'viking://user/default/memories/')) for h in hits)")" "target list"
has viking://resources/kbx/other.md "target list: first"
has viking://user/default/memories/tea.md "target list: second"
ok "target_uri: prefix by whole segments, with a trailing slash, a list"

find '{"query":"kettle","filter":{"op":"and","conds":[{"op":"must","field":"level","conds":[2]},{"op":"prefix","field":"uri","prefix":"viking://resources/kb/"}]}}'
assert_eq True "$(py "all(h['level'] == 2 and h['uri'].startswith('viking://resources/kb/') for h in hits)")" "and(must, prefix)"
has viking://resources/kb/late.md "and(must, prefix)"
find '{"query":"tea teapot kettle","filter":{"op":"or","conds":[{"op":"must","field":"context_type","conds":["memory"]},{"op":"must","field":"search_tags","conds":["team=tea"]}]}}'
assert_eq True "$(py "all(h['context_type'] == 'memory' or 'team=tea' in h['tags'] for h in hits)")" "or(memory, tag)"
has viking://resources/kb/teapot.md "or: the tagged file"
has viking://user/default/memories/tea.md "or: the memory"
find '{"query":"kettle","level":2,"filter":{"op":"must_not","field":"uri","conds":["viking://resources/kb/kettle.md"]}}'
lacks viking://resources/kb/kettle.md "must_not uri"
has viking://resources/kb/late.md "must_not keeps the rest"
find '{"query":"kettle","filter":{"op":"range","field":"level","gte":1}}'
assert_eq True "$(py "all(h['level'] >= 1 for h in hits)")" "range on level"
find "{\"query\":\"kettle\",\"level\":2,\"filter\":{\"op\":\"range\",\"field\":\"created_at\",\"gt\":\"$t1\"}}"
assert_eq viking://resources/kb/late.md "$(uris)" "range on created_at"
find '{"query":"kettle","level":2,"filter":{"op":"contains","field":"abstract","substring":"whistles"}}'
assert_eq viking://resources/kbx/other.md "$(uris)" "contains on abstract"
ok "filter DSL: and, or, must, must_not, range (level, time), prefix, contains"

find '{"query":"kettle","include_provenance":true,"limit":3}'
assert_eq kettle "$(py "r['provenance'][0]['query']")" "provenance query"
assert_eq 3 "$(py "len(r['provenance'][0]['matched_contexts'])")" "provenance matches"
assert_eq vector "$(py "r['provenance'][0]['matched_contexts'][0]['match_reason']")" "flat mode matches by vector"
case "$(py "r['provenance'][0]['thinking_trace']")" in quick:*) ;; *) fail "trace: $(py "r['provenance'][0]['thinking_trace']")" ;; esac
find '{"query":"kettle","telemetry":true,"target_uri":"","context_type":null,"tags":null}'
ok "provenance; telemetry accepted, nulls and empty target ignored"

for bad in '{}' '{"query":""}' '{"query":"   "}' '{"query":"k","limit":0}' '{"query":"k","level":5}' \
    '{"query":"k","context_type":"people"}' '{"query":"k","tags":["x"]}' '{"query":"k","since":"soon"}' \
    '{"query":"k","time_field":"mtime"}' '{"query":"k","score_threshold":"x"}' '{"query":"k","rerank":true}'; do
  req POST /api/v1/search/find "$bad"
  expect 400 INVALID_ARGUMENT "find $bad"
done
req POST /api/v1/search/find '{"query":"k","filter":{"op":"must","field":"colour","conds":["red"]}}'
expect 400 INVALID_FILTER "unknown filter field"
req POST /api/v1/search/find '{"query":"k","filter":{"op":"like","field":"uri"}}'
expect 400 INVALID_FILTER "unknown filter op"
req POST /api/v1/search/find '{"query":"k","target_uri":"resources/kb"}'
expect 400 INVALID_URI "target without the scheme"
req POST /api/v1/search/find '{"query":"k","target_uri":"viking://~/memories"}'
expect 400 INVALID_URI "the home alias as ROOT (dev mode)"
req POST /api/v1/search/find '{"query":"","image_url":"https://example.com/a.png"}'
expect 501 UNIMPLEMENTED "image query"
req POST /api/v1/search/find 'not json'
expect 400 INVALID_ARGUMENT "malformed body"
ok "refusals: 400 INVALID_ARGUMENT / INVALID_FILTER / INVALID_URI, 501 for images"

stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit"
finish
