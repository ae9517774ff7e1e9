#!/usr/bin/env bash
# The session routes as a client sees them: create (409 ALREADY_EXISTS for an existing id), list,
# get, config, messages and batches (auto-create, a resent id is not stored twice, bad bodies
# 400), commit (404, skipped with its reason, accepted with a task that completes), the memories
# the commit extracted as stored files, the archive, the context, used, extract, tool results,
# delete; a model answer with malformed JSON keeps its valid memories and reports the rest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config
start_daemon
wait_ready

http POST /api/v1/sessions '{"session_id":"s1","auto_commit_policy":{"message_count_threshold":5000}}' > /dev/null
assert_eq 200 "$(status)" "create"
assert_eq s1 "$(jq_body .result.session_id)" "create: session_id"
assert_eq viking://user/default/sessions/s1 "$(jq_body .result.uri)" "create: uri"
assert_eq default "$(jq_body .result.user.user_id)" "create: user"
assert_eq 1000 "$(jq_body .result.auto_commit_policy.message_count_threshold)" "create: policy clamped"
assert_eq 150000 "$(jq_body .result.auto_commit_policy.pending_token_threshold)" "create: policy defaults"
assert_eq '[]' "$(jq_body .result.memory_extraction_config.events.tags)" "create: extraction config"
http POST /api/v1/sessions '{"session_id":"s1"}' > /dev/null
assert_error 409 ALREADY_EXISTS "create of an existing id"
assert_eq session "$(jq_body .error.details.type)" "409 details.type"
http POST /api/v1/sessions '' > /dev/null
assert_eq 200 "$(status)" "create with an empty body"
[[ "$(jq_body .result.session_id)" =~ ^[0-9]{8}-[0-9]{6}-[0-9a-f]{16}$ ]] || fail "generated id $(jq_body .result.session_id)"
GEN=$(jq_body .result.session_id)
http POST /api/v1/sessions '{"session_id":"bad/id"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "create with a bad id"
http POST /api/v1/sessions '{"session_id":"s9","auto_commit_policy":{"nope":1}}' > /dev/null
assert_error 400 INVALID_ARGUMENT "unknown auto_commit_policy field"
ok "create: result shape, 409 ALREADY_EXISTS, generated id, policy checks"

http GET /api/v1/sessions > /dev/null
assert_eq 200 "$(status)" "list"
assert_eq 2 "$(json_len .result)" "two sessions"
assert_eq true "$(jq_body .result[0].is_dir)" "list: is_dir"
jq_body .result[0].mod_time > /dev/null || fail "list: mod_time"
assert_eq "$GEN" "$(jq_body .result[0].session_id)" "list: newest first"
http GET /api/v1/sessions/s1 > /dev/null
for f in session_id created_at updated_at message_count commit_count memories_extracted last_commit_at \
  llm_token_usage pending_tokens memory_policy auto_commit_policy uri user memory_extraction_config; do
  jq_body ".result.$f" > /dev/null || fail "meta has no $f"
done
http GET /api/v1/sessions/nope > /dev/null
assert_error 404 NOT_FOUND "get of an unknown session"
http GET '/api/v1/sessions/auto1?auto_create=true' > /dev/null
assert_eq 200 "$(status)" "get with auto_create"
assert_eq 0 "$(jq_body .result.message_count)" "auto-created session"
http PATCH /api/v1/sessions/s1/config '{"memory_extraction_config":{"events":{"tags":["team=core"]}},"auto_commit_policy":null}' > /dev/null
assert_eq 200 "$(status)" "config patch"
assert_eq null "$(jq_body .result.auto_commit_policy)" "config: policy cleared"
assert_eq '["team=core"]' "$(jq_body .result.memory_extraction_config.events.tags)" "config: tags"
http PATCH /api/v1/sessions/s1/config '{"extra":1}' > /dev/null
assert_error 400 INVALID_ARGUMENT "config patch with an unknown field"
http PATCH /api/v1/sessions/nope/config '{}' > /dev/null
assert_error 404 NOT_FOUND "config of an unknown session"
ok "list (newest first), get (meta fields, 404, auto_create), config patch (400 on unknown fields)"

# Messages: auto-create, a resent id is not stored twice, bad bodies refused.
http POST /api/v1/sessions/m1/messages '{"role":"user","content":"My name is Ada Lovelace","id":"c-1"}' > /dev/null
assert_eq 200 "$(status)" "message auto-creates"
assert_eq 1 "$(jq_body .result.message_count)" "one message"
jq_body .result.pending_tokens > /dev/null || fail "pending_tokens"
http POST /api/v1/sessions/m1/messages '{"role":"user","content":"My name is Ada Lovelace","id":"c-1"}' > /dev/null
assert_eq 1 "$(jq_body .result.message_count)" "a resent id is stored once"
http POST /api/v1/sessions/m1/messages/batch '{"messages":[{"role":"assistant","content":"Hello Ada","id":"c-2"},{"role":"user","content":"I prefer tea over coffee","id":"c-3"},{"role":"user","content":"My name is Ada Lovelace","id":"c-1"},{"role":"user","parts":[{"type":"text","text":"Yesterday we shipped the billing service"},{"type":"context","uri":"viking://resources/x"}]}]}' > /dev/null
assert_eq 200 "$(status)" "batch"
assert_eq 3 "$(jq_body .result.added)" "batch: the resent id skipped"
assert_eq 4 "$(jq_body .result.message_count)" "batch: count"
http POST /api/v1/sessions/m1/messages '{"content":"no role"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "message without role"
assert_eq body.role "$(pyq '".".join(b["error"]["details"]["validation_errors"][0]["loc"])')" "400 loc"
http POST /api/v1/sessions/m1/messages '{"role":"user"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "message without content or parts"
http POST /api/v1/sessions/m1/messages '{"role":"user","parts":[{"type":"context","uri":"viking://nowhere/x"}]}' > /dev/null
assert_error 400 INVALID_URI "context part with a bad URI"
http POST /api/v1/sessions/m1/messages/batch "{\"messages\":[$(python3 -c 'print(",".join(["{\"role\":\"user\",\"content\":\"x\"}"] * 101))')]}" > /dev/null
assert_error 400 INVALID_ARGUMENT "batch over 100"
ok "messages and batches: auto-create, resent ids stored once, 400 on bad bodies"

# Commit.
http POST /api/v1/sessions/nope/commit '{}' > /dev/null
assert_error 404 NOT_FOUND "commit of an unknown session"
http POST /api/v1/sessions/s1/commit '' > /dev/null
assert_eq skipped "$(jq_body .result.status)" "commit with no messages"
assert_eq no_messages "$(jq_body .result.reason)" "skip reason"
assert_eq null "$(jq_body .result.task_id)" "skipped: no task"
assert_eq false "$(jq_body .result.archived)" "skipped: nothing archived"
add_msg s1 "one message"
http POST /api/v1/sessions/s1/commit '{"keep_recent_count":5}' > /dev/null
assert_eq all_within_keep_window "$(jq_body .result.reason)" "everything in the keep window"
http POST /api/v1/sessions/s1/commit '{"keep_recent_turn_count":2}' > /dev/null
assert_error 400 INVALID_ARGUMENT "turn fields without retention_mode"
T=$(commit m1 '{"keep_recent_count":1}')
assert_eq viking://user/default/sessions/m1/history/archive_001 "$(jq_body .result.archive_uri)" "archive uri"
assert_eq true "$(jq_body .result.archived)" "archived"
jq_body .result.trace_id > /dev/null || fail "trace_id"
assert_eq completed "$(wait_task "$T")" "commit task"
assert_eq session_commit "$(jq_body .result.task_type)" "task type"
assert_eq m1 "$(jq_body .result.resource_id)" "task resource"
assert_eq 1 "$(jq_body .result.result.memories_extracted.profile)" "profile memories"
assert_eq 1 "$(jq_body .result.result.memories_extracted.preferences)" "preference memories"
assert_eq viking://user/default/sessions/m1/history/archive_001/memory_diff.json "$(jq_body .result.result.memory_diff_uri)" "diff uri"
ok "commit: 404, skipped (no_messages, all_within_keep_window), accepted, task completes with counts"

# What the commit left: memory files, the diff, the archive, the live tail, the context.
http GET '/api/v1/content/read?uri=viking://user/default/memories/profile/ada_lovelace.md' > /dev/null
assert_eq 200 "$(status)" "profile memory stored"
[[ "$(jq_body .result)" == *"The user's name is Ada Lovelace"* ]] || fail "profile memory content: $(cat "$WORK/body")"
http GET '/api/v1/content/read?uri=viking://user/default/memories/preferences/tea_over_coffee.md' > /dev/null
assert_eq 200 "$(status)" "preference memory stored"
http GET '/api/v1/content/read?uri=viking://user/default/sessions/m1/history/archive_001/memory_diff.json' > /dev/null
assert_eq 2 "$(pyq 'len(json.loads(b["result"])["adds"])')" "diff adds"
http GET /api/v1/sessions/m1/archives/archive_001 > /dev/null
assert_eq 200 "$(status)" "archive"
assert_eq 3 "$(json_len .result.messages)" "archive messages"
assert_eq c-1 "$(jq_body .result.messages[0].id)" "archived first message"
[ -n "$(jq_body .result.overview)" ] || fail "archive overview empty"
[ -n "$(jq_body .result.abstract)" ] || fail "archive abstract empty"
http GET /api/v1/sessions/m1/archives/archive_002 > /dev/null
assert_error 404 NOT_FOUND "missing archive"
http GET /api/v1/sessions/m1 > /dev/null
assert_eq 1 "$(jq_body .result.message_count)" "one live message kept"
assert_eq 4 "$(jq_body .result.total_message_count)" "total messages"
assert_eq 1 "$(jq_body .result.commit_count)" "commit count"
assert_eq 2 "$(jq_body .result.memories_extracted.total)" "meta memories"
http GET /api/v1/sessions/m1/context > /dev/null
assert_eq 1 "$(json_len .result.messages)" "context: live messages"
[ -n "$(jq_body .result.latest_archive_overview)" ] || fail "context: latest archive overview"
assert_eq 1 "$(jq_body .result.stats.totalArchives)" "context stats"
http GET '/api/v1/sessions/m1/context?token_budget=-1' > /dev/null
assert_error 400 INVALID_ARGUMENT "negative token budget"
wait_queues
http POST /api/v1/search/find '{"query":"tea over coffee","limit":5}' > /dev/null
assert_eq 200 "$(status)" "find"
assert_eq viking://user/default/memories/preferences/tea_over_coffee.md "$(jq_body .result.memories[0].uri)" "the extracted memory is found"
ok "memories stored as files and found, diff, archive (and 404), live tail, context"

# Malformed extraction JSON: the valid memory is written, the rest reported as warnings.
add_msg bad1 "I like dark chocolate"
add_msg bad1 "MALFORMED output please today"
T=$(commit bad1)
assert_eq completed "$(wait_task "$T")" "commit with a malformed answer"
assert_eq completed_with_warnings "$(jq_body .result.stage)" "stage"
[[ "$(pyq 'b["result"]["result"]["warnings"]')" == *"not valid JSON"* ]] || fail "warning for the broken line: $(cat "$WORK/body")"
[[ "$(pyq 'b["result"]["result"]["warnings"]')" == *"gossip"* ]] || fail "warning for the unknown category"
http GET '/api/v1/content/read?uri=viking://user/default/memories/preferences/dark_chocolate.md' > /dev/null
assert_eq 200 "$(status)" "the valid memory of a malformed answer"
ok "malformed extraction: valid parts written, invalid parts reported, task completed with warnings"

# used, extract, tool results, delete.
http POST /api/v1/sessions/m1/used '{"contexts":["viking://resources/a"],"skill":{"uri":"viking://agent/skills/x","success":true}}' > /dev/null
assert_eq 200 "$(status)" "used"
assert_eq 1 "$(jq_body .result.contexts_used)" "contexts used"
assert_eq 1 "$(jq_body .result.skills_used)" "skills used"
add_msg ex1 "I work on the orbital tracker"
http POST /api/v1/sessions/ex1/extract '{}' > /dev/null
assert_eq 200 "$(status)" "extract"
assert_eq entities "$(jq_body .result[0].category)" "extracted category"
assert_eq created "$(jq_body .result[0].action)" "extracted action"
http GET /api/v1/sessions/m1/tool-results > /dev/null
assert_eq '[]' "$(jq_body .result.tool_results)" "no tool results"
http GET /api/v1/sessions/m1/tool-results/tr1 > /dev/null
assert_error 404 NOT_FOUND "unknown tool result"
http GET /api/v1/sessions/nope/tool-results > /dev/null
assert_error 404 NOT_FOUND "tool results of an unknown session"
http DELETE /api/v1/sessions/m1 > /dev/null
assert_eq m1 "$(jq_body .result.session_id)" "delete"
http GET /api/v1/sessions/m1 > /dev/null
assert_error 404 NOT_FOUND "deleted session"
http DELETE /api/v1/sessions/m1 > /dev/null
assert_error 404 NOT_FOUND "delete of an unknown session"
ok "used, extract, tool results (empty, 404), delete"

http GET /api/v1/observer/lock > /dev/null
assert_eq 200 "$(status)" "observer/lock"
assert_eq lock "$(jq_body .result.name)" "component name"
assert_eq true "$(jq_body .result.is_healthy)" "healthy"
jq_body .result.status > /dev/null || fail "status table"
jq_body .result.counters.stuck > /dev/null || fail "counters"
ok "observer/lock: component shape with lanes and counters"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
