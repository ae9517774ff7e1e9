#!/usr/bin/env bash
# search: without a session it answers like find; with one, the query planner (the VLM plugin)
# reads the latest archive overview and proposes typed queries that run beside the plain query,
# returned as query_plan. A planner that is slow, fails or answers no JSON still gets a 200 with
# the plain query's hits before the call deadline, a log line and a counted fallback. Unknown
# sessions are 404; context mode 501; context-only fields 400.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/find_lib.sh"
write_config "[server]
call_timeout = 4"
start_daemon
wait_ready
# A session as sessions keep it: an archive whose overview the pipeline writes.
put_doc viking://user/default/sessions/s1/history/archive_001/notes.md "The user is replanting the rose garden and asked about compost."
put_doc viking://resources/kb/kettle.md "# Kettles\n\nDescaling a kettle with vinegar removes limescale."
put_doc viking://resources/kb/garden.md "# Garden\n\nRoses like compost, mulch and morning sun in the garden."
drain
req GET /api/v1/content/overview?uri=viking://user/default/sessions/s1/history/archive_001
expect 200 "" "the archive has an overview"

search '{"query":"descaling a kettle"}'
without=$(py "sorted((h['uri'], h['score']) for h in hits)")
assert_eq False "$(py "'query_plan' in r")" "no session, no plan"
find '{"query":"descaling a kettle"}'
assert_eq "$without" "$(py "sorted((h['uri'], h['score']) for h in hits)")" "search without a session = find"
ok "without a session: the same hits as find, no query_plan"

# INI lines are at most 199 characters.
PLAN='{"reasoning":"gardening","queries":[{"query":"roses compost garden","context_type":"resource","intent":"advice","priority":1},{"query":"","context_type":"memory"}]}'
set_key vlm plugin test_vlm_slow
set_key vlm answer "$PLAN"
reload
search '{"query":"descaling a kettle","session_id":"s1","include_provenance":true}'
assert_eq gardening "$(py "r['query_plan']['reasoning']")" "plan reasoning"
assert_eq 1 "$(py "len(r['query_plan']['queries'])")" "the malformed query is dropped"
assert_eq "roses compost garden|resource|advice|1" \
  "$(py "'|'.join(str(r['query_plan']['queries'][0][k]) for k in ('query', 'context_type', 'intent', 'priority'))")" "planned query"
assert_eq 2 "$(py "len(r['provenance'])")" "the plain query and the planned one ran"
assert_eq "roses compost garden" "$(py "r['provenance'][1]['query']")" "second provenance entry"
assert_eq True "$(py "'viking://resources/kb/garden.md' in [m['uri'] for m in r['provenance'][1]['matched_contexts']]")" \
  "the planned query finds garden.md"
has viking://resources/kb/garden.md "merged answer holds the planned query's hit"
has viking://resources/kb/kettle.md "merged answer holds the plain query's hit"
search '{"query":"descaling a kettle","session_id":"s1","context_type":"memory","include_provenance":true}'
assert_eq 1 "$(py "len(r['provenance'])")" "a planned resource query is skipped when only memories are asked for"
# A session made through the sessions API, with live messages and no archive yet.
req POST /api/v1/sessions/s2/messages '{"role":"user","content":"Which compost do roses like?"}'
expect 200 "" "a message into session s2"
search '{"query":"descaling a kettle","session_id":"s2"}'
assert_eq "roses compost garden" "$(py "r['query_plan']['queries'][0]['query']")" "planned from live messages"
has viking://resources/kb/garden.md "s2: the planned query's hit"
req POST /api/v1/search/search '{"query":"kettle","session_id":"s3"}'
expect 404 NOT_FOUND "a session never created"
ok "with a session: query_plan, planned queries run and merged, types respected, live messages of a sessions-API session"

before=$(plugin_metric vlm planner_fallbacks_total)
set_key vlm delay_ms 60000
reload
search '{"query":"descaling a kettle","session_id":"s1"}'
assert_eq False "$(py "'query_plan' in r")" "a slow planner gives no plan"
has viking://resources/kb/kettle.md "slow planner: the plain query still answers"
assert_eq $((before + 1)) "$(plugin_metric vlm planner_fallbacks_total)" "slow planner counted"
grep -q 'retrieval: query planner failed, searching with the plain query.*deadline' "$LOG" || fail "no log line for the slow planner"
set_key vlm delay_ms 0
set_key vlm fail on
reload
search '{"query":"descaling a kettle","session_id":"s1"}'
assert_eq False "$(py "'query_plan' in r")" "a failing planner gives no plan"
assert_eq "$without" "$(py "sorted((h['uri'], h['score']) for h in hits)")" "failing planner: the plain query's hits"
assert_eq 1 "$(plugin_metric vlm planner_fallbacks_total)" "failure counted on the new instance"
set_key vlm fail off
set_key vlm answer "The session is about roses."
reload
search '{"query":"descaling a kettle","session_id":"s1"}'
assert_eq False "$(py "'query_plan' in r")" "prose instead of JSON gives no plan"
assert_eq 1 "$(plugin_metric vlm planner_fallbacks_total)" "no JSON counted"
ok "planner slow (past its share of the deadline), failing or answering prose: 200 with the plain query"

req POST /api/v1/search/search '{"query":"kettle","session_id":"nope"}'
expect 404 NOT_FOUND "unknown session"
req POST /api/v1/search/search '{"query":"kettle","session_id":"../s1"}'
expect 404 NOT_FOUND "a session id that is no URI segment"
req POST /api/v1/search/search '{"query":"kettle","mode":"context"}'
expect 501 UNIMPLEMENTED "context mode"
req POST /api/v1/search/search '{"query":"kettle","mode":"list","max_tokens":100}'
expect 400 INVALID_ARGUMENT "a context-only field in list mode"
req POST /api/v1/search/search '{"query":"kettle","mode":"brief"}'
expect 400 INVALID_ARGUMENT "unknown mode"
req POST /api/v1/search/search '{"query":""}'
expect 400 INVALID_ARGUMENT "empty query"
req POST /api/v1/search/search '{"query":"k","session_id":5}'
expect 400 INVALID_ARGUMENT "session_id not a string"
ok "refusals: unknown session 404, context mode 501, context fields and bad values 400"

stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit"
finish
